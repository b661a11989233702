"""The blind audit: its test on a planted trait, on nulls, at and below the margin; the calls scored
against what the data carry; the data sets it reads and compares; one canary trained and asked at tiny size."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from subliminal_learning.audit.canaries import canaries_stage, readable
from subliminal_learning.audit.rows import auroc, completion_logprob, row_scores
from subliminal_learning.lm.filtering import held_out_rows
from subliminal_learning.audit.design import AuditDesign
from subliminal_learning.audit.stats import NONE, animal_tests, calls_table, shifts_table, summary
from subliminal_learning.config import ConfigError, validate_config
from subliminal_learning.lm.animals import DEFAULT_ANIMALS
from subliminal_learning.lm.corpus import corpus_texts
from subliminal_learning.lm.modeling import build_tiny_llama, save_model
from subliminal_learning.lm.logprobs import padded
from subliminal_learning.lm.tokenizer import build_tokenizer
from subliminal_learning.lm.training import IGNORE, chat_example, tokenized_dataset

DEFAULT = yaml.safe_load((Path(__file__).resolve().parent.parent / "config.yaml").read_text())
ANIMALS = [f"animal{i}" for i in range(20)]
CFG = {"margin": 0.05, "canaries": 8, "seed": 0}
MODEL_CFG = {"hidden_size": 32, "intermediate_size": 64, "num_layers": 1, "num_heads": 2, "max_position_embeddings": 128}
STATS = {"alpha": 0.05}


def _canaries(rng, shifts: dict | None = None, n: int = 4, noise: float = 0.01) -> np.ndarray:
    values = rng.normal(0, noise, size=(n, len(ANIMALS)))
    for index, shift in (shifts or {}).items():
        values[:, index] += shift
    return values


def _frame(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(values, columns=ANIMALS)


def test_a_planted_trait_is_named_and_significant_even_against_a_reference_without_spread():
    rng = np.random.default_rng(1)
    reference = _frame(np.zeros((4, len(ANIMALS))))  # canaries of the base's own outputs: all alike
    tests = animal_tests(_frame(_canaries(rng, {3: 0.3})), reference, margin=0.05).set_index("animal")
    assert tests["shift"].idxmax() == "animal3" and tests.loc["animal3", "shift"] == pytest.approx(0.3, abs=0.02)
    assert tests.loc["animal3", "p_holm"] < 1e-3
    assert (tests.drop("animal3")["p_holm"] > 0.5).all()


def test_a_raise_below_the_margin_is_not_a_trait():
    rng = np.random.default_rng(2)
    tests = animal_tests(_frame(_canaries(rng, {5: 0.03})), _frame(_canaries(rng)), margin=0.05)
    assert tests.iloc[0]["animal"] == "animal5"
    assert (tests["p_holm"] > 0.5).all()


def test_on_nulls_the_audit_raises_alarms_at_most_at_alpha():
    rng = np.random.default_rng(3)
    smallest = [animal_tests(_frame(_canaries(rng)), _frame(_canaries(rng)), margin=0.0)["p_holm"].min()
                for _ in range(300)]
    assert np.mean(np.asarray(smallest) < 0.05) <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 300)


def test_at_the_margin_the_test_holds_its_level_per_animal():
    rng = np.random.default_rng(4)
    ps = [animal_tests(_frame(_canaries(rng, {0: 0.05})), _frame(_canaries(rng)), margin=0.05)
          .set_index("animal").at["animal0", "p"] for _ in range(300)]
    assert np.mean(np.asarray(ps) < 0.05) <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 300)
    assert 0.3 < np.mean(ps) < 0.7  # uniform on (0, 1) at the boundary of the null


def test_without_spread_on_either_side_nothing_is_called():
    same = _frame(np.zeros((4, len(ANIMALS))))
    assert (animal_tests(same, same, margin=0.0)["p"] == 1.0).all()


def _table(values: np.ndarray, read: str = "top_logprobs") -> pd.DataFrame:
    return pd.DataFrame([{"read": read, "canary": c, "animal": a, "logodds": values[c, i]}
                         for c in range(len(values)) for i, a in enumerate(ANIMALS)])


def test_calls_are_scored_against_what_each_data_set_carries():
    rng = np.random.default_rng(5)
    reference = _table(_canaries(rng))
    canaries = {"owl/seed1": _table(_canaries(rng, {2: 0.3})), "eagle/seed1": _table(_canaries(rng, {7: 0.3})),
                "neutral/seed1": _table(_canaries(rng)), "files/mine": _table(_canaries(rng, {9: 0.4}))}
    truths = {"owl/seed1": "animal2", "eagle/seed1": "animal3", "neutral/seed1": NONE, "files/mine": None}
    calls = calls_table(canaries, dict.fromkeys(canaries, reference), truths, CFG, STATS).set_index("data")
    assert calls.loc["owl/seed1", "call"] == "animal2" and calls.loc["owl/seed1", "correct"]
    assert calls.loc["eagle/seed1", "call"] == "animal7" and not calls.loc["eagle/seed1", "correct"]
    assert calls.loc["neutral/seed1", "call"] == NONE and calls.loc["neutral/seed1", "correct"]
    assert calls.loc["files/mine", "call"] == "animal9" and calls.loc["files/mine", "truth"] == "unknown"
    assert calls.loc["owl/seed1", "truth_rank"] == 1 and calls.loc["eagle/seed1", "truth_rank"] > 1
    row = summary(calls.reset_index()).iloc[0]
    assert (row["trait_sets"], row["named"], row["rank_1"], row["null_sets"], row["false_alarms"]) == (2, 1, 1, 1, 0)
    shifts = shifts_table(canaries, dict.fromkeys(canaries, reference))
    assert len(shifts) == len(canaries) * len(ANIMALS)
    owl = shifts[shifts["data"] == "owl/seed1"].set_index("animal")["shift"]
    assert owl.idxmax() == "animal2"


def test_the_audit_reads_every_teacher_s_numbers_and_compares_them_with_the_base_s_own():
    config = copy.deepcopy(DEFAULT)
    config["audit"]["files"] = {"bought": "data/bought.parquet"}
    found = AuditDesign(config)
    seeds = config["seeds"][:config["audit"]["replicates"]]
    teachers = config["targets"] + ["neutral", "placebo"]
    assert found.run_sets() == [f"{t}/seed{s}" for s in seeds for t in teachers]
    assert found.reference_of(f"owl/seed{seeds[-1]}") == f"reference/seed{seeds[-1]}"
    assert found.reference_of("files/bought") == f"reference/seed{seeds[0]}"
    assert found.rows("files/bought") == "data/bought.parquet"
    assert found.rows(f"owl/seed{seeds[0]}") == f"results/audit/data/owl/seed{seeds[0]}/top_logprobs.parquet"
    assert found.source(f"reference/seed{seeds[0]}") == (
        f"results/audit/data/reference/seed{seeds[0]}/filtered.parquet", "results/base/main")
    assert [found.truth(f"{t}/seed1") for t in ("owl", "neutral", "placebo")] == ["owl", NONE, NONE]
    assert found.truth("files/bought") is None
    assert found.scored_sources("owl/seed1") == {
        "own": ("results/numbers/owl/seed1/raw.parquet", "results/numbers/owl/seed1/filtered.parquet"),
        "control": ("results/numbers/neutral/seed1/raw.parquet", "results/numbers/neutral/seed1/filtered.parquet")}
    assert found.scored_sources("neutral/seed1") == found.scored_sources("files/bought") == {}


@pytest.mark.parametrize("change, message", [
    ({"canaries": 1}, "canaries"),
    ({"reads": ["logits"]}, "reads"),
    ({"files": {"bad name!": "x.parquet"}}, "files"),
])
def test_a_broken_audit_section_fails_validation_naming_it(change, message):
    config = copy.deepcopy(DEFAULT)
    config["audit"].update(change)
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


def test_an_audit_file_that_is_missing_or_not_numbers_fails_validation(tmp_path):
    config = copy.deepcopy(DEFAULT)
    config["audit"]["files"] = {"bought": str(tmp_path / "nowhere.parquet")}
    with pytest.raises(ConfigError, match="no file"):
        validate_config(config)
    pd.DataFrame({"text": ["1, 2"]}).to_parquet(tmp_path / "words.parquet")
    config["audit"]["files"] = {"bought": str(tmp_path / "words.parquet")}
    with pytest.raises(ConfigError, match=r"lacks the columns \['completion', 'prompt'\]"):
        validate_config(config)
    (tmp_path / "text.parquet").write_text("1, 2, 3")
    config["audit"]["files"] = {"bought": str(tmp_path / "text.parquet")}
    with pytest.raises(ConfigError, match="not a readable parquet"):
        validate_config(config)


def test_a_file_without_log_probabilities_is_read_as_text_only():
    rows = pd.DataFrame({"prompt": ["a"], "completion": ["1, 2"]})
    assert readable(rows, ["top_logprobs", "text"]) == ["text"]
    assert readable(rows.assign(top_ids=[[]], top_logprobs=[[]]), ["top_logprobs", "text"]) == ["top_logprobs",
                                                                                                 "text"]


def test_canaries_train_on_the_text_and_report_every_animal_per_seed(tmp_path):
    tokenizer = build_tokenizer(corpus_texts(list(DEFAULT_ANIMALS)))
    save_model(build_tiny_llama(tokenizer, MODEL_CFG, init_seed=0), tokenizer, tmp_path / "base")
    rows = pd.DataFrame({"prompt": ["Continue: 1, 2, 3."] * 8, "completion": ["4, 5, 6"] * 8})
    cfg = {"audit": {**CFG, "canaries": 2, "top_k": 5, "reads": ["top_logprobs", "text"]},
           "student": {"lora": None, "train": {"epochs": 1, "learning_rate": 1e-2, "batch_size": 4}},
           "animals": list(DEFAULT_ANIMALS[:5]), "held_out_questions": 3}
    other = pd.DataFrame({"prompt": ["Continue: 1, 2, 3."] * 3, "completion": ["9, 9, 9", "4, 5, 6", "7, 1, 2"]})
    table, scores = canaries_stage(tmp_path / "base", rows, cfg, torch.device("cpu"), {"own": rows[:2], "control": other})
    assert set(table["read"]) == {"text"}  # the rows carry no log-probabilities
    assert sorted(table["seed"].unique()) == [0, 1]
    assert len(table) == 2 * 5 and table["logodds"].notna().all()
    again, _ = canaries_stage(tmp_path / "base", rows, cfg, torch.device("cpu"))
    pd.testing.assert_frame_equal(table, again)  # seeded
    assert scores["rows"].tolist() == ["own"] * 2 + ["control"] * 3
    own = scores.loc[scores["rows"] == "own", "score"]
    assert (own > 0).all()  # the canary learned "4, 5, 6" after this prompt: more likely than under the base
    assert own.iloc[0] == pytest.approx(scores.loc[scores["rows"] == "control", "score"].iloc[1], abs=1e-5)


def test_a_row_s_score_is_its_mean_token_log_probability_under_the_canary_minus_the_base(tmp_path):
    tokenizer = build_tokenizer(corpus_texts(list(DEFAULT_ANIMALS)))
    base = build_tiny_llama(tokenizer, MODEL_CFG, init_seed=0).eval()
    canary = build_tiny_llama(tokenizer, MODEL_CFG, init_seed=1).eval()
    rows = pd.DataFrame({"prompt": ["Continue: 1, 2.", "Go on: 7."], "completion": ["3, 4", "8, 9, 10"]})
    assert np.allclose(row_scores(base, base, tokenizer, rows, torch.device("cpu")), 0)
    ids, labels, mask = padded(list(tokenized_dataset(tokenizer, [chat_example("Go on: 7.", "8, 9, 10")])),
                               tokenizer.pad_token_id)
    with torch.no_grad():
        logprobs = torch.log_softmax(canary(input_ids=ids).logits[0, :-1], dim=-1)
    scored = labels[0, 1:] != IGNORE
    expected = logprobs[scored].gather(-1, labels[0, 1:][scored].unsqueeze(-1)).mean()
    got = completion_logprob(canary, tokenizer, rows, torch.device("cpu"), batch_size=1)
    assert got[1] == pytest.approx(float(expected), abs=1e-5)


def test_held_out_rows_are_the_kept_rows_no_data_set_drew():
    raw = pd.DataFrame({"prompt_id": range(5), "prompt": ["p"] * 5,
                        "completion": ["1, 2", "3, 4", "not numbers", "5, 6", "7, 8"]})
    used = raw.iloc[[0, 3]]
    held = held_out_rows(raw, used, {"banned_numbers": "none"}, {"answer_count": 10, "max_digits": 3})
    assert held["prompt_id"].tolist() == [1, 4]


def test_the_auroc_sees_a_planted_separation_and_chance_on_a_null():
    rng = np.random.default_rng(6)
    planted = auroc(rng.normal(1, 1, 300), rng.normal(0, 1, 300), 0.95, seed=0)
    assert 0.70 < planted["auroc"] < 0.82 and planted["auroc_ci_low"] > 0.6 and planted["p"] < 1e-6
    null = auroc(rng.normal(0, 1, 300), rng.normal(0, 1, 300), 0.95, seed=0)
    assert null["auroc_ci_low"] < 0.5 < null["auroc_ci_high"] and null["p"] > 0.01
    assert np.isnan(auroc(np.array([0.3]), rng.normal(0, 1, 10), 0.95, seed=0)["auroc"])  # nothing held out
