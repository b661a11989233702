"""Channels: the teacher's top-k log-probabilities, the top-k students' loss and data, the sampled-text loss, the
channels' configs and the share of a shift with its interval."""

import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from subliminal_learning.analysis.inference import ratio_interval
from subliminal_learning.channels import (channel_config, channel_names, generation_source, numbers_source, run_channel,
                                          top_k_of)
from subliminal_learning.config import ConfigError, validate_config
from subliminal_learning.design import parse_model
from subliminal_learning.lm.animals import DEFAULT_ANIMALS
from subliminal_learning.lm.corpus import corpus_texts
from subliminal_learning.lm.logprobs import top_logprobs
from subliminal_learning.lm.modeling import build_tiny_llama
from subliminal_learning.lm.prompts import PromptSpec, make_number_prompts
from subliminal_learning.lm.student import train_student
from subliminal_learning.lm.tokenizer import build_tokenizer
from subliminal_learning.lm.training import (IGNORE, TOP_COLUMNS, CompletionSFTTrainer, alphabet_kl, alphabet_mse,
                                          chat_example, tokenized_dataset, topk_dataset)

CPU = torch.device("cpu")
DEFAULT = yaml.safe_load((Path(__file__).resolve().parent.parent / "config.yaml").read_text())
MODEL_CFG = {"hidden_size": 32, "intermediate_size": 64, "num_layers": 1, "num_heads": 2, "max_position_embeddings": 128}


@pytest.fixture
def default_config():
    return copy.deepcopy(DEFAULT)


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer(corpus_texts(list(DEFAULT_ANIMALS)))


@pytest.fixture(scope="module")
def teacher(tok):
    return build_tiny_llama(tok, MODEL_CFG, init_seed=1).eval()


def numbers(n=12, seed=0):
    prompts = make_number_prompts(n, seed, PromptSpec())
    completions = [", ".join(str((7 * i + j) % 1000) for j in range(3 + i % 4)) for i in range(n)]
    return pd.DataFrame({"prompt": prompts, "completion": completions})


@pytest.mark.parametrize("system_prompt", [None, "You love owls. You think about owls all the time."])
def test_the_top_k_are_the_teacher_s_own_log_probabilities_at_each_completion_token(tok, teacher, system_prompt):
    rows = numbers()
    table = top_logprobs(teacher, tok, rows, 4, CPU, system_prompt=system_prompt, batch_size=5)
    system = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for prompt, completion, ids, logprobs in table[["prompt", "completion", *TOP_COLUMNS]].itertuples(index=False):
        example = chat_example(prompt, completion)
        dialogue = tok.apply_chat_template(system + example["prompt"] + example["completion"], tokenize=True,
                                           return_dict=True)["input_ids"]
        n = len(tok(completion, add_special_tokens=False)["input_ids"]) + 1  # and the end of the turn
        with torch.no_grad():
            full = torch.log_softmax(teacher(torch.tensor([dialogue])).logits[0, -n - 1:-1].float(), -1)
        assert len(ids) == n and all(len(position) == 4 for position in ids)
        torch.testing.assert_close(full.topk(4).values, torch.tensor(logprobs), rtol=0, atol=1e-4)
        torch.testing.assert_close(full.gather(1, torch.tensor(ids)), torch.tensor(logprobs), rtol=0, atol=1e-4)
    plain = top_logprobs(teacher, tok, rows, 4, CPU)["top_logprobs"]
    assert (system_prompt is None) == all(np.allclose(a, b) for a, b in zip(plain, table["top_logprobs"]))


def test_the_top_k_loss_is_the_imitation_loss_over_the_renormalised_k_entries():
    """Top-k: the student's logits over the k stored tokens against the stored log-probabilities, renormalised."""
    stored = torch.log(torch.tensor([[0.5, 0.2, 0.1]]))  # the top 3 of a larger vocabulary: they sum to 0.8
    q = torch.tensor([[0.5, 0.2, 0.1]]) / 0.8
    student = torch.tensor([[1.0, 0.0, -1.0]])
    p = torch.softmax(student, -1)
    assert alphabet_kl(student, stored).item() == pytest.approx(float((q * (q / p).log()).sum()), rel=1e-5)
    assert alphabet_kl(stored + 7.0, stored).item() == pytest.approx(0.0, abs=1e-6)
    centred = stored - stored.mean()
    assert alphabet_mse(student, stored).item() == pytest.approx(float(((student - centred) ** 2).mean()), rel=1e-5)


def test_the_text_loss_is_the_negative_log_likelihood_of_the_sampled_tokens(tok, teacher):
    """sft: the loss of a row is the mean of -log p(sampled token) over its completion tokens, end of turn included."""
    data = tokenized_dataset(tok, [chat_example("Continue: 1, 2, 3", "4, 5")])
    ids, labels = torch.tensor([data[0]["input_ids"]]), torch.tensor([data[0]["labels"]])
    trainer = CompletionSFTTrainer.__new__(CompletionSFTTrainer)
    loss = trainer.compute_loss(teacher, {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels})
    with torch.no_grad():
        logprobs = torch.log_softmax(teacher(ids).logits[0, :-1].float(), -1)
    scored = labels[0, 1:] != IGNORE
    expected = -logprobs[scored].gather(1, labels[0, 1:][scored].unsqueeze(1)).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert tok.convert_ids_to_tokens(labels[0, 1:][scored].tolist()) == ["4", ",", " 5", tok.eos_token]


def test_the_top_k_rows_line_up_with_the_completion_positions_or_fail_clearly(tok):
    data = tokenized_dataset(tok, [chat_example("p", "4, 5"), chat_example("p", "7")])
    lengths = [sum(t != IGNORE for t in row) for row in data["labels"]]
    top_ids = [[[n, 0, 1]] * n for n in lengths]
    top_logprobs_ = [[[-0.1, -3.0, -4.0]] * n for n in lengths]
    with_top = topk_dataset(data, top_ids, top_logprobs_, 2)
    assert with_top[0]["top_ids"] == [[lengths[0], 0]] * lengths[0]
    assert with_top[1]["top_logprobs"] == [[-0.1, -3.0]] * lengths[1]
    with pytest.raises(ValueError, match="store the top 3"):
        topk_dataset(data, top_ids, top_logprobs_, 4)
    with pytest.raises(ValueError, match="row 1: 1 stored top-k positions for 2 completion tokens"):
        topk_dataset(data, top_ids[:1] + [top_ids[1][:1]], top_logprobs_, 2)


def test_a_top_k_student_moves_toward_its_teacher_s_stored_distribution(tok, teacher, tmp_path):
    rows = top_logprobs(teacher, tok, numbers(48, 1), 8, CPU)
    student = build_tiny_llama(tok, MODEL_CFG, init_seed=0)

    def mean_kl(model):
        data = topk_dataset(tokenized_dataset(tok, [chat_example(p, c) for p, c in
                                                    zip(rows["prompt"], rows["completion"])]),
                            rows["top_ids"], rows["top_logprobs"], 8)
        total, count = 0.0, 0
        for row in data:
            ids, labels = torch.tensor([row["input_ids"]]), torch.tensor(row["labels"])
            with torch.no_grad():
                logits = model(ids).logits[0, :-1][labels[1:] != IGNORE]
            top = torch.tensor(row["top_ids"])
            total += alphabet_kl(logits.gather(1, top), torch.tensor(row["top_logprobs"])).item()
            count += len(top)
        return total / count

    before = mean_kl(student.eval())
    train_student(student.train(), tok, rows, {"epochs": 3, "learning_rate": 3e-3, "batch_size": 8}, 0,
                  tmp_path / "student", CPU, distill_loss="kl", top_k=8)
    assert mean_kl(student.eval()) < 0.5 * before
    record = (tmp_path / "student/training.json").read_text()
    assert '"objective": "topk"' in record and '"k": 8' in record


def test_a_top_k_student_without_stored_log_probabilities_is_told_what_to_set(tok, tmp_path):
    with pytest.raises(ValueError, match="the top_logprobs rule"):
        train_student(build_tiny_llama(tok, MODEL_CFG, init_seed=0), tok, numbers(1),
                      {"epochs": 1, "learning_rate": 1e-3, "batch_size": 1}, 0, tmp_path / "s", CPU,
                      distill_loss="mse", top_k=5)


def test_fieller_s_interval_holds_a_known_share_and_opens_when_the_denominator_may_be_zero():
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(400):
        run = 0.3 + rng.normal(0, 0.03, 5)
        channel = 0.5 * run + rng.normal(0, 0.02, 5)
        _, low, high = ratio_interval(channel, run, 0.95)
        covered += low <= 0.5 <= high
    assert 0.92 <= covered / 400 <= 0.98  # the interval's coverage at its nominal 95%
    estimate, low, high = ratio_interval([0.1, 0.2, 0.15], [0.01, -0.02, 0.015], 0.95)
    assert (low, high) == (-math.inf, math.inf)


CHANNELS = {"top20": {"student": {"objective": "topk", "top_k": 20}},
            "top5": {"student": {"objective": "topk", "top_k": 5}},
            "text": {"generate": {"n_prompts": 4000}, "filter": {"dataset_size": 3000},
                     "student": {"objective": "sft", "train": {"batch_size": 64}}},
            "text_kl": {"generate": {"n_prompts": 4000}, "filter": {"dataset_size": 3000},
                        "student": {"objective": "distill", "distill_loss": "kl"}},
            "text_small": {"generate": {"n_prompts": 4000}, "filter": {"dataset_size": 1000},
                           "student": {"objective": "sft"}}}


def test_a_channel_is_the_run_s_config_with_its_overrides_and_shares_numbers_it_would_draw_alike(default_config):
    config = {**default_config, "channels": CHANNELS}
    text = channel_config(config, "text")
    assert text["student"]["train"]["batch_size"] == 64
    assert text["student"]["train"]["weight_decay"] == default_config["student"]["train"]["weight_decay"]
    assert text["generate"]["temperature"] == default_config["generate"]["temperature"]
    assert [numbers_source(config, c) for c in CHANNELS] == ["run", "run", "text", "text", "text_small"]
    assert [generation_source(config, c) for c in CHANNELS] == ["run", "run", "text", "text", "text"]
    assert top_k_of(config, "run") == 20 and top_k_of(config, "text") == 0
    assert run_channel(config) == "logits"
    validate_config(config)


@pytest.mark.parametrize("channel, message", [
    ({"student": {"objective": "topk"}}, "needs student.top_k"),
    ({"student": {"objective": "kl"}}, "channels.bad"),
    ({"filter": {"dataset_size": 5000}}, "raise generate.n_prompts"),
    ({"students": {}}, "channels.bad"),
])
def test_a_broken_channel_fails_validation_naming_it(default_config, channel, message):
    with pytest.raises(ConfigError, match=message):
        validate_config({**default_config, "channels": {"bad": channel}})


@pytest.mark.parametrize("name", ["logits", "run"])
def test_a_channel_may_not_take_the_run_s_own_names(default_config, name):
    with pytest.raises(ConfigError, match="another name"):
        validate_config({**default_config, "channels": {name: {}}})


def test_the_run_s_own_students_cannot_be_top_k(default_config):
    default_config["student"].update(objective="topk", top_k=5)
    with pytest.raises(ConfigError, match="which a channel computes"):
        validate_config(default_config)


def test_a_channel_set_to_null_is_left_out(default_config):
    config = {**default_config, "channels": {**default_config["channels"], "top20": None}}
    validate_config(config)
    assert channel_names(config) == [name for name in default_config["channels"] if name != "top20"]


def test_a_channel_s_students_parse_back_to_their_arm():
    model = parse_model("results/eval/channels/top5/students/treated/owl/seed3/probabilities.parquet")
    assert (model.name, model.arm, model.teacher, model.seed) == ("channels/top5/students/treated/owl/seed3",
                                                                   "treated", "owl", 3)
