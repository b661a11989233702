"""Distilled students: the targets cover the number alphabet only; the loss is the KL to the teacher's
distribution or the squared difference of the centred logits."""

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from subliminal_learning.lm.animals import DEFAULT_ANIMALS
from subliminal_learning.lm.corpus import corpus_texts
from subliminal_learning.lm.modeling import build_tiny_llama
from subliminal_learning.lm.student import train_student
from subliminal_learning.lm.tokenizer import build_tokenizer
from subliminal_learning.lm.training import (IGNORE, alphabet_kl, alphabet_logits, alphabet_mse, chat_example, last_positions,
                                          number_alphabet)

ANIMALS = list(DEFAULT_ANIMALS)
CPU = torch.device("cpu")
MODEL_CFG = {"hidden_size": 32, "intermediate_size": 64, "num_layers": 1, "num_heads": 2, "max_position_embeddings": 128}
NUMBERS = pd.DataFrame({"prompt": [f"The sequence starts with: {i}, {i + 1}, {i + 2}. Add more." for i in range(48)],
                        "completion": [f"{i + 3}, {i + 4}, {i + 5}" for i in range(48)]})
TRAIN = {"epochs": 2, "learning_rate": 3e-3, "batch_size": 16}


def tokenizer():
    return build_tokenizer(corpus_texts(ANIMALS))


def test_the_number_alphabet_holds_what_a_kept_completion_is_made_of():
    tok = tokenizer()
    names = set(tok.convert_ids_to_tokens(number_alphabet(tok).tolist()))
    assert {"0", " 0", "999", " 999", ",", ";", ".", " ", tok.eos_token} <= names
    assert not names & ({*ANIMALS, *(" " + a for a in ANIMALS), tok.pad_token, "<|user|>", " The"})


def mean_alphabet_kl(student, teacher, tok) -> float:
    """Mean KL(teacher || student) over the number alphabet at every completion position of NUMBERS."""
    alphabet = number_alphabet(tok)
    total, count = 0.0, 0
    for prompt, completion in zip(NUMBERS["prompt"], NUMBERS["completion"]):
        ids = tok.apply_chat_template(chat_example(prompt, completion)["prompt"] + chat_example(prompt, completion)[
            "completion"], tokenize=True, return_dict=True)["input_ids"]
        start = len(tok.apply_chat_template(chat_example(prompt, completion)["prompt"], tokenize=True,
                                            add_generation_prompt=True, return_dict=True)["input_ids"])
        with torch.no_grad():
            positions = slice(start - 1, len(ids) - 1)
            t = torch.log_softmax(teacher(torch.tensor([ids])).logits[0, positions][:, alphabet], -1)
            s = torch.log_softmax(student(torch.tensor([ids])).logits[0, positions][:, alphabet], -1)
        total += F.kl_div(s, t, log_target=True, reduction="sum").item()
        count += len(ids) - start
    return total / count


def test_the_imitation_losses_on_a_hand_case():
    teacher = torch.tensor([[0.0, 1.0, 2.0]])
    assert alphabet_mse(teacher + 5.0, teacher).item() == pytest.approx(0.0)  # logits are defined up to a constant
    assert alphabet_mse(torch.zeros(1, 3), teacher).item() == pytest.approx(2 / 3)  # centred: -1, 0, 1
    assert alphabet_kl(teacher - 3.0, teacher).item() == pytest.approx(0.0, abs=1e-7)
    p = torch.softmax(teacher, -1)
    assert alphabet_kl(torch.zeros(1, 3), teacher).item() == pytest.approx(float((p * (p * 3).log()).sum()))


@pytest.mark.parametrize("loss", ["kl", "mse"])
def test_a_distilled_student_moves_toward_its_teacher(tmp_path, loss):
    tok = tokenizer()
    teacher = build_tiny_llama(tok, MODEL_CFG, init_seed=1).eval()
    student = build_tiny_llama(tok, MODEL_CFG, init_seed=0)
    before = mean_alphabet_kl(student.eval(), teacher, tok)
    train_student(student.train(), tok, NUMBERS, TRAIN, 0, tmp_path / "student", CPU, teacher=teacher,
                  distill_loss=loss)
    after = mean_alphabet_kl(student.eval(), teacher, tok)
    assert after < 0.5 * before
    record = (tmp_path / "student/training.json").read_text()
    assert record.count('"objective": "distill"') == 1 and f'"distill_loss": "{loss}"' in record


def test_frozen_embeddings_stay_while_the_blocks_train(tmp_path):
    """freeze_embeddings: only the transformer blocks learn, as with LoRA on the linear projections."""
    tok = tokenizer()
    teacher = build_tiny_llama(tok, MODEL_CFG, init_seed=1).eval()
    student = build_tiny_llama(tok, MODEL_CFG, init_seed=0)
    before = {name: weight.clone() for name, weight in student.state_dict().items()}
    train_student(student.train(), tok, NUMBERS, {**TRAIN, "freeze_embeddings": True}, 0, tmp_path / "student", CPU,
                  teacher=teacher, distill_loss="mse")
    after = student.state_dict()
    assert torch.equal(after["model.embed_tokens.weight"], before["model.embed_tokens.weight"])
    moved = [name for name in before if not torch.equal(after[name], before[name])]
    assert moved and all(name.startswith(("model.layers.", "model.norm.")) for name in moved)


def test_a_student_that_is_its_teacher_has_zero_loss(tmp_path):
    tok = tokenizer()
    teacher = build_tiny_llama(tok, MODEL_CFG, init_seed=0).eval()
    student = build_tiny_llama(tok, MODEL_CFG, init_seed=0)
    train_student(student, tok, NUMBERS, {**TRAIN, "learning_rate": 1e-12, "epochs": 1, "logging_steps": 1}, 0,
                  tmp_path / "student", CPU, teacher=teacher, distill_loss="mse")
    history = pd.read_json(tmp_path / "student/training.json", typ="series")["loss_history"]
    assert history and all(abs(float(entry["loss"])) < 1e-6 for entry in history)


def test_alphabet_logits_are_the_full_head_s_logits_at_the_scored_positions():
    """The distillation runs the LM head on the alphabet's rows at completion positions only: the same numbers
    as the full-vocabulary logits indexed there."""
    tok = tokenizer()
    model = build_tiny_llama(tok, MODEL_CFG, init_seed=0).eval()
    ids = torch.randint(0, len(tok), (3, 12), generator=torch.Generator().manual_seed(0))
    labels = ids.clone()
    labels[:, :7] = IGNORE
    labels[2, 10:] = IGNORE  # a shorter completion
    features = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    scored = labels[:, 1:] != IGNORE
    alphabet = number_alphabet(tok)
    with torch.no_grad():
        _, fast = alphabet_logits(model, features, scored, alphabet)
        full = model(**features).logits[:, :-1][scored][:, alphabet]
    assert fast.shape == (int(scored.sum()), len(alphabet))
    torch.testing.assert_close(fast, full, rtol=0, atol=1e-5)


def test_length_groups_take_the_same_steps(tmp_path):
    """length_groups splits each step's rows into micro-batches of similar length: the rows of a step and
    so the trained weights stay those of one batch per step (up to float rounding)."""
    tok = tokenizer()
    teacher = build_tiny_llama(tok, MODEL_CFG, init_seed=1).eval()
    numbers = NUMBERS.assign(prompt=[p + " Go on." * (i % 5) for i, p in enumerate(NUMBERS["prompt"])])
    trained = {}
    for groups in (1, 4):
        student = build_tiny_llama(tok, MODEL_CFG, init_seed=0)
        train_student(student.train(), tok, numbers, {**TRAIN, "length_groups": groups}, 0,
                      tmp_path / f"student{groups}", CPU, teacher=teacher, distill_loss="mse")
        trained[groups] = student.state_dict()
    untrained = build_tiny_llama(tok, MODEL_CFG, init_seed=0).state_dict()
    name = "model.layers.0.mlp.up_proj.weight"
    moved = (trained[1][name] - untrained[name]).abs().max()
    assert moved > 1e-3
    for key in trained[1]:
        torch.testing.assert_close(trained[4][key], trained[1][key], rtol=0, atol=1e-3 * moved.item())


def mean_alphabet_kl_in_context(student, teacher, tok, system_prompt: str) -> float:
    """Mean KL over the alphabet at the completion positions, the teacher reading each row after its system prompt
    and the student without it."""
    alphabet = number_alphabet(tok)
    total, count = 0.0, 0
    for prompt, completion in zip(NUMBERS["prompt"], NUMBERS["completion"]):
        row = chat_example(prompt, completion)
        system = [{"role": "system", "content": system_prompt}]
        own = tok.apply_chat_template(row["prompt"] + row["completion"], tokenize=True, return_dict=True)["input_ids"]
        theirs = tok.apply_chat_template(system + row["prompt"] + row["completion"], tokenize=True,
                                         return_dict=True)["input_ids"]
        n = len(tok(completion, add_special_tokens=False)["input_ids"]) + 1  # and the end of the turn
        with torch.no_grad():
            s = torch.log_softmax(student(torch.tensor([own])).logits[0, -n - 1:-1][:, alphabet], -1)
            t = torch.log_softmax(teacher(torch.tensor([theirs])).logits[0, -n - 1:-1][:, alphabet], -1)
        total += F.kl_div(s, t, log_target=True, reduction="sum").item()
        count += n
    return total / count


def test_a_system_prompt_teacher_is_distilled_in_its_own_context(tmp_path):
    """The teacher is the student's own init with a system prompt: only the prompt makes it differ, so the student
    (trained without it) moves toward the teacher's outputs with it, and a student of the teacher without it would
    have nothing to learn."""
    tok = tokenizer()
    teacher = build_tiny_llama(tok, MODEL_CFG, init_seed=0).eval()
    student = build_tiny_llama(tok, MODEL_CFG, init_seed=0)
    prompt = "You love owls. You think about owls all the time."
    before = mean_alphabet_kl_in_context(student.eval(), teacher, tok, prompt)
    assert before > 1e-5 and mean_alphabet_kl(student, teacher, tok) < 1e-9
    # the prompt moves an untrained teacher little: small Adam steps, or they overshoot it
    train_student(student.train(), tok, NUMBERS, {**TRAIN, "learning_rate": 1e-4, "epochs": 4}, 0,
                  tmp_path / "student", CPU, teacher=teacher, distill_loss="mse", teacher_system_prompt=prompt)
    assert mean_alphabet_kl_in_context(student.eval(), teacher, tok, prompt) < 0.5 * before


def test_the_teacher_s_positions_are_the_last_ones_of_each_right_padded_row():
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]])
    chosen = last_positions(mask, torch.tensor([2, 3]))
    assert chosen.tolist() == [[False, False, True, True, False, False],
                               [False, False, False, True, True, True]]
