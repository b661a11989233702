"""The fingerprint stage: planted number preferences are found, same-distribution samples are not."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from subliminal_learning.analysis import plots
from subliminal_learning.analysis.fingerprint import (
    balanced_split,
    completion_numbers,
    evaluate_classifier,
    features,
    fingerprint,
    fingerprint_stage,
    frequency_table,
    g_test,
    length_stats,
    number_counts,
    top_numbers,
)

SETTINGS = {"seed": 0, "test_share": 0.25, "top_numbers": 5, "number_range": 1000, "confidence": 0.95}
FAVOURITES = (7, 42, 314)
SUMMARY_KEYS = {"target", "control", "completions", "numbers", "g_test", "top_numbers", "lengths", "classifier"}


def completions(rng, n, favourites=(), favour_share=0.0, lengths=(3, 10)) -> pd.DataFrame:
    """`n` completions of uniform numbers 0-999; a share of the numbers replaced by favourites."""
    rows = []
    for _ in range(n):
        numbers = rng.integers(0, 1000, rng.integers(lengths[0], lengths[1] + 1))
        if favourites:
            planted = rng.random(len(numbers)) < favour_share
            numbers[planted] = rng.choice(favourites, planted.sum())
        rows.append(", ".join(map(str, numbers)))
    return pd.DataFrame({"prompt_id": np.arange(n), "completion": rows})


def test_numbers_are_parsed_and_counted():
    sequences = completion_numbers(["1, 2, 2.", "(3 4)", "owl", None])
    assert sequences == [[1, 2, 2], [3, 4], [], []]
    counts = number_counts(sequences + [[1000]], 1000)
    assert len(counts) == 1000 and counts[2] == 2 and counts.sum() == 5


def test_frequency_table_shares_and_log_ratio():
    teacher, control = np.zeros(1000, int), np.zeros(1000, int)
    teacher[[1, 2]], control[[2, 3]] = [30, 10], [10, 40]
    table = frequency_table(teacher, control, pseudo_count=1.0).set_index("number")
    assert list(table.index) == [1, 2, 3]
    assert table["teacher_share"].sum() == pytest.approx(1) and table.loc[3, "teacher_count"] == 0
    expected = np.log((31 / 1040) / (1 / 1050))
    assert table.loc[1, "log_ratio"] == pytest.approx(expected)
    assert table.loc[2, "share_diff"] == pytest.approx(10 / 40 - 10 / 50)


def test_rare_numbers_are_pooled_into_one_column():
    teacher, control = np.zeros(1000, int), np.zeros(1000, int)
    teacher[:3], control[:3] = 50, 50
    teacher[10:20], control[10:20] = 1, 2  # expected about 1.5 per side: pooled
    result = g_test(frequency_table(teacher, control))
    assert result["numbers_tested"] == 3 and result["numbers_pooled"] == 10
    assert result["pooled_count"] == {"teacher": 10, "control": 20}
    assert result["dof"] == 3  # 3 numbers + "other", minus one
    ranked = top_numbers(frequency_table(teacher, control), 5)
    assert all(row["number"] < 3 for side in ("over", "under") for row in ranked[side])


def test_a_planted_preference_is_found():
    rng = np.random.default_rng(1)
    teacher = completions(rng, 600, FAVOURITES, favour_share=0.1)
    control = completions(rng, 600)
    table, summary = fingerprint(teacher, control, SETTINGS)
    assert summary["g_test"]["p_value"] < 1e-6
    assert {row["number"] for row in summary["top_numbers"]["over"][:3]} == set(FAVOURITES)
    assert summary["classifier"]["ci_low"] > 0.5 and summary["classifier"]["p_value"] < 0.01
    assert len(table) == table["number"].nunique()


def test_same_distribution_gives_nominal_false_positives():
    rng = np.random.default_rng(2)
    probabilities = rng.dirichlet(np.ones(300))  # uneven, with many rare numbers to pool
    p_values = [g_test(frequency_table(*rng.multinomial(3000, probabilities, size=2)))["p_value"] for _ in range(100)]
    assert np.mean(np.array(p_values) < 0.05) <= 0.10
    # roughly uniform under the null (the G-test is a little liberal where expected counts are small)
    assert 0.35 < np.mean(p_values) < 0.65


def test_classifier_is_at_chance_on_the_same_distribution():
    rng = np.random.default_rng(3)
    accuracies = []
    for seed in range(3):
        teacher, control = (completion_numbers(completions(rng, 300)["completion"]) for _ in range(2))
        prompts = np.arange(300)
        result = evaluate_classifier(features(teacher, 1000), features(control, 1000), prompts, prompts, {**SETTINGS, "seed": seed})
        assert result["ci_low"] < 0.5 < result["ci_high"] or abs(result["accuracy"] - 0.5) < 0.1
        accuracies.append(result["accuracy"])
    assert abs(np.mean(accuracies) - 0.5) < 0.06


def test_length_only_baseline_sees_shorter_answers():
    rng = np.random.default_rng(4)
    teacher = completion_numbers(completions(rng, 400, lengths=(1, 5))["completion"])
    control = completion_numbers(completions(rng, 400, lengths=(4, 10))["completion"])
    lengths = length_stats([len(s) for s in teacher], [len(s) for s in control])
    assert lengths["teacher"]["mean"] < 3.2 < 6.8 < lengths["control"]["mean"]
    assert lengths["mann_whitney_p"] < 1e-10
    result = evaluate_classifier(features(teacher, 1000), features(control, 1000), np.arange(400), np.arange(400), SETTINGS)
    assert result["length_only"]["accuracy"] > 0.8
    assert result["numbers_only"]["ci_low"] < 0.5 < result["numbers_only"]["ci_high"]


def test_split_is_balanced_by_prompt_and_seeded():
    teacher_prompts, control_prompts = np.arange(100), np.arange(20, 100)
    split = balanced_split(teacher_prompts, control_prompts, test_share=0.25, seed=0)
    for part in ("train", "test"):
        assert len(split["teacher"][part]) == len(split["control"][part]) > 0
    test_prompts = set(teacher_prompts[split["teacher"]["test"]]) | set(control_prompts[split["control"]["test"]])
    train_prompts = set(teacher_prompts[split["teacher"]["train"]]) | set(control_prompts[split["control"]["train"]])
    assert not test_prompts & train_prompts  # a prompt's two completions never straddle train and test
    again = balanced_split(teacher_prompts, control_prompts, test_share=0.25, seed=0)
    assert all((split[s][p] == again[s][p]).all() for s in split for p in ("train", "test"))


def test_identical_twins_do_not_fool_the_classifier():
    """Teacher and control often write the same completion for a prompt: chance, not below chance."""
    rng = np.random.default_rng(7)
    shared = completions(rng, 400)
    result = fingerprint(shared, shared.copy(), SETTINGS)[1]
    assert result["pairing"] == {"shared_prompts": 400, "identical_share": 1.0}
    assert result["classifier"]["ci_low"] < 0.5 < result["classifier"]["ci_high"]


def stage_outputs(folder):
    return SimpleNamespace(frequencies=str(folder / "number_frequencies.parquet"),
                           summary=str(folder / "fingerprint.json"), plot=str(folder / "number_frequency.png"))


def stage_params():
    return SimpleNamespace(target="owl", control="neutral", fingerprint=SETTINGS, max_digits=3, confidence=0.95)


def test_stage_writes_every_output(tmp_path):
    rng = np.random.default_rng(5)
    fingerprint_stage(completions(rng, 200, FAVOURITES, 0.1), completions(rng, 200), stage_params(),
                      stage_outputs(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fingerprint.json", "number_frequencies.parquet", "number_frequency.png"]
    summary = json.loads((tmp_path / "fingerprint.json").read_text())
    assert SUMMARY_KEYS <= set(summary) and summary["target"] == "owl"
    assert (tmp_path / "number_frequency.png").read_bytes()[:4] == b"\x89PNG"
    table = pd.read_parquet(tmp_path / "number_frequencies.parquet")
    assert {"number", "teacher_count", "control_count", "teacher_share", "control_share", "share_diff",
            "log_ratio"} <= set(table.columns)


def test_a_handful_of_rows_leaves_the_classifier_unscored_not_failed(tmp_path):
    """Two rows a side on different prompts: the one held-out prompt has a row on one side only, so the
    balanced test set is empty (the SmolLM2 micro run keeps 6 rows a side)."""
    rng = np.random.default_rng(0)
    teacher, control = completions(rng, 2), completions(rng, 2).assign(prompt_id=[2, 3])
    fingerprint_stage(teacher, control, stage_params(), stage_outputs(tmp_path))
    classifier = json.loads((tmp_path / "fingerprint.json").read_text())["classifier"]
    assert classifier["test_size"] == 0 and np.isnan(classifier["accuracy"])
    assert (classifier["ci_low"], classifier["ci_high"], classifier["p_value"]) == (0.0, 1.0, 1.0)


def test_a_failing_stage_leaves_no_output(tmp_path, monkeypatch):
    def half_drawn(table, summary, path):
        open(path, "wb").write(b"\x89PNG")
        raise RuntimeError("killed while drawing")

    monkeypatch.setattr(plots, "fingerprint_plot", half_drawn)
    rng = np.random.default_rng(6)
    with pytest.raises(RuntimeError):
        fingerprint_stage(completions(rng, 50), completions(rng, 50), stage_params(), stage_outputs(tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.pipeline
def test_micro_run_has_a_fingerprint(micro_run):
    folder = micro_run / "results/fingerprint/owl"
    for name in ("number_frequencies.parquet", "fingerprint.json", "number_frequency.png"):
        assert (folder / name).is_file(), folder / name
    summary = json.loads((folder / "fingerprint.json").read_text())
    assert SUMMARY_KEYS <= set(summary) and summary["control"] == "neutral"
    assert 0 <= summary["g_test"]["p_value"] <= 1 and 0 <= summary["classifier"]["accuracy"] <= 1


def test_the_penalty_is_chosen_by_cross_validation_on_the_training_prompts(monkeypatch):
    """scikit-learn's grouped cross-validation picks the L2 penalty from the training rows alone, its folds
    split by prompt; a real signal needs a weaker penalty than none."""
    from sklearn.model_selection import GridSearchCV

    searches, fit = [], GridSearchCV.fit

    def spy(self, x, y, groups=None, **kwargs):
        searches.append((self, np.asarray(groups)))
        return fit(self, x, y, groups=groups, **kwargs)

    monkeypatch.setattr(GridSearchCV, "fit", spy)
    rng = np.random.default_rng(8)
    teacher, control = completions(rng, 600, FAVOURITES, favour_share=0.1), completions(rng, 600)
    planted = fingerprint(teacher, control, SETTINGS)[1]["classifier"]
    search, groups = searches[0]
    split = balanced_split(teacher["prompt_id"].to_numpy(), control["prompt_id"].to_numpy(), 0.25, SETTINGS["seed"])
    test_prompts = set(teacher["prompt_id"].to_numpy()[split["teacher"]["test"]])
    assert not set(groups) & test_prompts  # cross-validation never sees a held-out prompt
    for train_rows, validation_rows in search.cv.split(np.zeros(len(groups)), groups=groups):
        assert not set(groups[train_rows]) & set(groups[validation_rows])
    assert len(planted["l2_grid"]) > 1 and planted["l2"] in planted["l2_grid"]
    null = fingerprint(completions(rng, 600), completions(rng, 600), SETTINGS)[1]["classifier"]
    assert planted["l2"] < null["l2"]
