import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from subliminal_learning.stats import logit, summarise, t_interval, target_rank, target_scores, verdict_lines

SEEDS = range(8)
REPORTS = {"owl": {"removed_share": 0.3, "used": 100}, "neutral": {"removed_share": 0.25, "used": 100}}


def references(main=-3.0, cross=-2.5):
    prob = lambda lo: 1 / (1 + np.exp(-lo))  # noqa: E731
    return {
        ("base/main", "owl"): {"prob": prob(main), "logodds": main, "sampled_rate": prob(main)},
        ("base/cross_init", "owl"): {"prob": prob(cross), "logodds": cross, "sampled_rate": prob(cross)},
        ("teachers/owl", "owl"): {"prob": 0.9, "logodds": 2.2, "sampled_rate": 0.9},
        ("teachers/neutral", "owl"): {"prob": 0.05, "logodds": -2.9, "sampled_rate": 0.05},
    }


def students(effect, cross_effect, seed=0, noise=0.02, main=-3.0, cross=-2.5):
    rng = np.random.default_rng(seed)
    rows = []
    for s in SEEDS:
        drift = rng.normal(0, 0.05)  # shared by the arms of a seed: what pairing removes
        arms = (("control", main, 0), ("treated", main, effect),
                ("cross_init_control", cross, 0), ("cross_init", cross, cross_effect))
        for condition, start, shift in arms:
            lo = start + drift + shift + rng.normal(0, noise)
            rows.append({"condition": condition, "target": "owl", "seed": s, "logodds": lo,
                         "prob": 1 / (1 + np.exp(-lo)), "sampled_rate": 1 / (1 + np.exp(-lo))})
    return pd.DataFrame(rows)


def summary(effect, cross_effect, seed=0):
    return summarise(students(effect, cross_effect, seed), references(), REPORTS, 0.95, 0.01).set_index("condition")


def test_a_planted_effect_is_detected_and_a_null_arm_is_not():
    table = summary(effect=0.05, cross_effect=0.0)
    assert table.loc["treated", "significant"] and table.loc["treated", "diff_vs_control"] == pytest.approx(0.05, abs=0.03)
    assert not table.loc["cross_init", "significant"]


def test_cross_init_is_judged_against_a_control_of_its_own_base():
    """The cross_init base starts 0.5 log-odds higher; that alone is no transfer."""
    table = summary(effect=0.0, cross_effect=0.0)
    assert table.loc["cross_init", "compared_with"] == "cross_init_control"
    assert abs(table.loc["cross_init", "diff_vs_control"]) < 0.05 and not table.loc["cross_init", "significant"]
    assert table.loc["cross_init", "logodds"] - table.loc["control", "logodds"] == pytest.approx(0.5, abs=0.05)
    assert table.loc["cross_init", "base_rate"] > table.loc["treated", "base_rate"]


def test_false_positive_rate_is_near_alpha():
    """Over many simulated null experiments, p < 0.05 about 5% of the time."""
    hits = [summary(0.0, 0.0, seed).loc["treated", "p_value"] < 0.05 for seed in range(300)]
    assert 0.02 <= np.mean(hits) <= 0.09


def test_a_planted_effect_is_detected_at_the_expected_rate():
    """Paired differences have sd 0.02*sqrt(2); the paired t-test's power is a noncentral t tail."""
    effect, n, alpha = 0.05, len(SEEDS), 0.01
    ncp = effect / (0.02 * np.sqrt(2) / np.sqrt(n))
    critical = st.t.ppf(1 - alpha / 2, n - 1)
    expected = st.nct.sf(critical, n - 1, ncp) + st.nct.cdf(-critical, n - 1, ncp)
    hits = [summary(effect, 0.0, seed).loc["treated", "p_value"] < alpha for seed in range(200)]
    assert abs(np.mean(hits) - expected) < 3 * np.sqrt(expected * (1 - expected) / 200)


def test_t_interval_matches_scipy():
    values = [0.1, 0.3, 0.2, 0.5, 0.4]
    mean, low, high = t_interval(values, 0.95)
    expected = st.t.interval(0.95, 4, loc=np.mean(values), scale=st.sem(values))
    assert (low, high) == pytest.approx(expected) and mean == pytest.approx(0.3)


def test_summary_carries_the_sanity_gates():
    table = summary(0.05, 0.0)
    assert table.loc["treated", "teacher_rate"] == 0.9 and table.loc["control", "teacher_rate"] == 0.05
    assert table.loc["control", "filter_removed_share"] == 0.25 and table.loc["treated", "rows_per_student"] == 100


def test_verdict_names_each_comparison():
    table = summarise(students(0.05, 0.0), references(), REPORTS, 0.95, 0.01)
    text = "\n".join(verdict_lines(table, 0.01))
    assert "owl, treated vs control: TRANSFER" in text and "owl, cross_init vs cross_init_control: no significant" in text


def test_target_scores_average_over_questions():
    probs = pd.DataFrame({"question_id": [0, 0, 1, 1], "animal": ["owl", "cat"] * 2, "prob": [0.2, 0.8, 0.6, 0.4]})
    answers = pd.DataFrame({"question_id": [0, 0, 1, 1], "answer": ["owl", "cat", "Owls", "owl"]})
    scores = target_scores(probs, answers, "owl")
    assert scores["prob"] == pytest.approx(0.4)
    assert scores["logodds"] == pytest.approx((logit(0.2) + logit(0.6)) / 2)
    assert scores["sampled_rate"] == pytest.approx(0.75)


def animals_frame(target_shift, other_shifts, seeds=4):
    """Every arm's log-odds for each animal per seed; the treated arms shift by the given amounts."""
    rows = []
    arms = (("control", "neutral", False), ("treated", "owl", True),
            ("cross_init_control", "neutral", False), ("cross_init", "owl", True))
    for seed in range(seeds):
        for animal, shift in {"owl": target_shift, **other_shifts}.items():
            for condition, teacher, shifted in arms:
                rows.append({"condition": condition, "teacher": teacher, "seed": seed, "animal": animal,
                             "logodds": -3.0 + (shift + 0.001 * seed if shifted else 0.0)})
    return pd.DataFrame(rows)


def test_target_rank_says_how_specific_a_shift_is():
    assert target_rank(animals_frame(0.05, {"cat": 0.01, "dog": -0.02}), "treated", "control", "owl") == 1
    assert target_rank(animals_frame(0.05, {"cat": 0.08, "dog": 0.06}), "treated", "control", "owl") == 3


def test_verdict_reports_the_rank():
    table = summarise(students(0.05, 0.0), references(), REPORTS, 0.95, 0.01,
                      animals_frame(0.05, {"cat": 0.08}))
    treated = table.set_index("condition").loc["treated"]
    assert treated["target_rank"] == 2 and treated["n_animals"] == 2
    assert "ranks 2 of 2 animals" in "\n".join(verdict_lines(table, 0.01))
