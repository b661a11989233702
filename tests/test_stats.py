"""The statistics behind the verdict, checked on simulated experiments with known truth."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from statsmodels.stats.multitest import multipletests

from subliminal_learning.analysis import inference as inf
from subliminal_learning.analysis.stats import summarise
from subliminal_learning.analysis.tidy import Tidy, logit, parse_model, per_student, reference_scores, tidy_tables
from subliminal_learning.analysis.verdict import to_html, to_markdown, verdict_blocks

CFG = {"confidence": 0.95, "alpha": 0.05, "power": 0.8, "power_alpha": 0.05, "expected_shift": 0.05, "seed": 0}
REPORTS = {"owl": {"removed_share": 0.3, "used": 100}, "neutral": {"removed_share": 0.25, "used": 100},
           "placebo": {"removed_share": 0.25, "used": 100}}
ARMS = {  # arm -> (model prefix, numbers teacher, starting log-odds)
    "control": ("students/control", "neutral", -3.0), "treated": ("students/treated", "owl", -3.0),
    "cross_init_control": ("students/cross_init", "neutral", -2.5), "cross_init": ("students/cross_init", "owl", -2.5),
}
REFERENCES = {"base/main": ("base", -3.0), "base/cross_init1": ("cross_init_base", -2.5),
              "teachers/owl/seed0": ("teacher", 2.2), "teachers/neutral/seed0": ("control_teacher", -2.9)}


def simulate(effect=0.0, cross_effect=0.0, seed=0, seeds=8, questions=10, samples=5,
             noise=0.02, drift=0.05, student_sd=0.0, others=None, references=REFERENCES, placebo=None) -> Tidy:
    """A whole experiment's tidy tables. Each seed's drift is shared by its arms (what pairing removes);
    `student_sd` adds per-student spread in the sampled answers (what clustering must account for);
    `others` gives other animals' shifts in the treated arms; `placebo` (a shift) adds a placebo arm."""
    arms = ARMS if placebo is None else {**ARMS, "placebo": ("students/placebo", "placebo", -3.0)}
    rng = np.random.default_rng(seed)
    question_effect = rng.normal(0, 0.3, questions)
    answers, probs, animals = [], [], []

    def add(model, arm, teacher, s, offset, answer_offset=0.0):
        labels = {"model": model, "arm": arm, "teacher": teacher, "seed": s, "target": "owl"}
        lo = offset + question_effect
        probs.append(pd.DataFrame({**labels, "question_id": range(questions), "held_out": False,
                                   "prob": 1 / (1 + np.exp(-lo)), "logodds": lo}))
        p = 1 / (1 + np.exp(-(lo + answer_offset)))
        hits = rng.random((samples, questions)) < p
        answers.append(pd.DataFrame({**labels, "question_id": np.tile(range(questions), samples),
                                     "sample": np.repeat(range(samples), questions), "held_out": False,
                                     "answer": np.where(hits.ravel(), "owl", "cat"), "hit": hits.ravel(),
                                     "named_animal": True}))
        animals.append(pd.DataFrame({"model": model, "arm": arm, "teacher": teacher, "seed": s,
                                     "animal": ["owl"], "logodds": [lo.mean()]}))

    for model, (arm, lo) in references.items():
        add(model, arm, model.split("/")[1] if "teachers" in model else "", pd.NA, lo)
    for s in range(seeds):
        shared = rng.normal(0, drift)
        for arm, (prefix, teacher, start) in arms.items():
            shift = {"treated": effect, "cross_init": cross_effect, "placebo": placebo}.get(arm, 0.0)
            model = f"{prefix}/{teacher}/seed{s}"
            add(model, arm, teacher, s, start + shared + shift + rng.normal(0, noise), rng.normal(0, student_sd))
            for animal, other in (others or {}).items():
                moved = other if arm in ("treated", "cross_init") else 0.0
                animals.append(pd.DataFrame({"model": model, "arm": arm, "teacher": teacher, "seed": s,
                                             "animal": [animal], "logodds": [-3.0 + moved + 0.001 * s]}))
    frames = [pd.concat(parts, ignore_index=True) for parts in (answers, probs, animals)]
    for frame in frames:
        frame["seed"] = frame["seed"].astype("Int64")
    return Tidy(*frames)


def run(tidy: Tidy, cfg=CFG):
    summary, tests = summarise(per_student(tidy), reference_scores(tidy), tidy, REPORTS, cfg)
    return summary.set_index("condition"), tests.set_index(["condition", "test"])


def test_a_planted_effect_is_detected_and_a_null_arm_is_not():
    summary, _ = run(simulate(effect=0.05))
    assert summary.loc["treated", "significant"]
    assert summary.loc["treated", "diff_vs_control"] == pytest.approx(0.05, abs=0.03)
    assert not summary.loc["cross_init", "significant"]


def test_cross_init_is_judged_against_a_control_of_its_own_base():
    """The cross_init base starts 0.5 log-odds higher; that alone is no transfer."""
    summary, _ = run(simulate())
    assert summary.loc["cross_init", "compared_with"] == "cross_init_control"
    assert abs(summary.loc["cross_init", "diff_vs_control"]) < 0.05 and not summary.loc["cross_init", "significant"]
    assert summary.loc["cross_init", "logodds"] - summary.loc["control", "logodds"] == pytest.approx(0.5, abs=0.05)
    assert summary.loc["cross_init", "base_rate"] > summary.loc["treated", "base_rate"]


def test_null_experiments_give_false_positives_near_alpha():
    """Over seeded null experiments every test rejects about 5% of the time at p < 0.05."""
    raw = pd.concat([run(simulate(seed=seed, student_sd=0.3))[1].loc["treated", "p_value"] for seed in range(120)],
                    axis=1)
    rates = (raw < 0.05).mean(axis=1)
    assert rates.between(0.01, 0.11).all(), rates.to_dict()  # about 3 binomial sd around 0.05


def test_a_planted_effect_is_detected_at_the_rate_the_noncentral_t_predicts():
    """Paired differences have sd 0.02*sqrt(2); the paired t-test's power is a noncentral t tail."""
    effect, n, alpha = 0.03, 8, 0.05
    ncp = effect / (0.02 * np.sqrt(2) / np.sqrt(n))
    critical = st.t.ppf(1 - alpha / 2, n - 1)
    expected = st.nct.sf(critical, n - 1, ncp) + st.nct.cdf(-critical, n - 1, ncp)
    hits = [run(simulate(effect, seed=seed))[1].loc[("treated", "paired_t"), "p_value"] < alpha
            for seed in range(120)]
    assert abs(np.mean(hits) - expected) < 3 * np.sqrt(expected * (1 - expected) / 120)


def test_the_cluster_correction_widens_intervals_when_students_differ():
    tidy = simulate(seed=3, student_sd=0.5, samples=20)
    rows = tidy.answers[tidy.answers["arm"].isin(["treated", "control"])]
    treated = (rows["arm"] == "treated").astype(float)
    clustered = inf.cluster_glm(rows["hit"], treated, rows["model"], 0.95)
    naive = inf.cluster_glm(rows["hit"], treated, np.arange(len(rows)), 0.95)  # every answer its own cluster
    assert clustered["estimate"] == pytest.approx(naive["estimate"])
    width = lambda r: np.log(r["ci_high"]) - np.log(r["ci_low"])  # noqa: E731
    assert width(clustered) > 1.5 * width(naive)


def test_glm_without_hits_is_not_estimable_rather_than_wrong():
    result = inf.cluster_glm([0, 0, 0, 1], [0, 0, 1, 1], [0, 1, 2, 3], 0.95)
    assert np.isnan(result["p_value"]) and "reference arm has no hits" in result["note"]


def test_holm_matches_a_hand_computed_case():
    # sorted p: 0.01*4 = 0.04; 0.02*3 = 0.06; 0.03*2 = 0.06 (monotone); 0.04*1 -> 0.06 (monotone)
    adjusted = inf.holm([0.03, 0.01, np.nan, 0.04, 0.02])
    np.testing.assert_allclose(adjusted, [0.06, 0.04, np.nan, 0.06, 0.06])
    p = np.random.default_rng(0).random(12) ** 3
    np.testing.assert_allclose(inf.holm(p), multipletests(p, method="holm")[1])


def test_sign_flip_test_enumerates_every_flip():
    # 8 sign patterns of (1, 2, 3): only +++ and --- reach |mean| >= 2
    assert inf.sign_flip_test([1.0, 2.0, 3.0])["p_value"] == pytest.approx(2 / 8)
    assert inf.sign_flip_test([1.0] * 8)["p_value"] == pytest.approx(2 / 256)
    sampled = inf.sign_flip_test(np.linspace(0.1, 2.0, 20), max_exact=16, draws=20000, seed=1)
    assert sampled["p_value"] == pytest.approx(2 / 2 ** 20, abs=5e-4)


def test_sign_flip_test_equals_the_enumeration_of_every_flip():
    """scipy's permutation test gives exactly the p of enumerating all 2^n sign flips, ties included."""
    rng = np.random.default_rng(3)
    for n in range(1, 11):
        for diffs in (rng.normal(0.01, 0.02, n), rng.integers(-2, 3, n).astype(float)):
            signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
            enumerated = np.mean(np.abs(signs @ diffs / n) >= abs(diffs.mean()) - 1e-12)
            assert inf.sign_flip_test(diffs)["p_value"] == pytest.approx(enumerated, abs=1e-12), diffs


def test_a_sampled_sign_flip_p_is_never_zero():
    """Beyond max_exact seeds the flips are sampled; the observed mean counts as one of them, so p >= 2/(draws+1)."""
    result = inf.sign_flip_test(np.linspace(0.1, 2.0, 20), max_exact=16, draws=2000, seed=0)
    assert result["p_value"] == pytest.approx(2 / 2001) and result["min_p"] == pytest.approx(2 / 2001)


def test_mdd_is_the_effect_detected_with_the_requested_power():
    mdd = inf.paired_mdd(sd=0.01, n=8, alpha=0.05, power=0.8)
    assert inf.paired_power(mdd, 0.01, 8, 0.05) == pytest.approx(0.8, abs=1e-3)
    assert inf.paired_mdd(0.01, 16, 0.05, 0.8) < mdd  # more seeds, smaller detectable shift
    assert 0 < inf.rate_mdd(0.05, 400, 0.05, 0.8) < inf.rate_mdd(0.05, 100, 0.05, 0.8)


def test_wilson_interval_is_sound_at_zero():
    rate, low, high = inf.wilson_interval(0, 10, 0.95)
    assert rate == 0 and low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    assert inf.wilson_interval(0, 8000, 0.95)[1] == 0 and inf.wilson_interval(5, 5, 0.95)[2] == 1


def test_summary_carries_the_sanity_gates_and_power():
    summary, _ = run(simulate(effect=0.05))
    assert summary.loc["treated", "teacher_rate"] > 0.8 and summary.loc["control", "teacher"] == "neutral"
    assert summary.loc["control", "filter_removed_share"] == 0.25 and summary.loc["treated", "rows_per_student"] == 100
    assert 0 < summary.loc["treated", "mdd_logodds"] < 0.05
    assert summary.loc["treated", "p_holm"] >= summary.loc["treated", "p_value"]


def test_target_rank_says_how_specific_a_shift_is():
    summary, _ = run(simulate(effect=0.05, others={"cat": 0.08, "dog": 0.01}))
    assert summary.loc["treated", "target_rank"] == 2 and summary.loc["treated", "n_animals"] == 3


def test_several_other_inits_give_the_cross_init_arms_their_mean_base():
    tidy = simulate(references={**REFERENCES, "base/cross_init2": ("cross_init_base", -2.0)})
    references = reference_scores(tidy)
    summary, _ = run(tidy)
    bases = references[(references["arm"] == "cross_init_base") & (references["target"] == "owl")]
    assert len(bases) == 2
    for arm in ("cross_init", "cross_init_control"):
        assert summary.loc[arm, "base_rate"] == pytest.approx(bases["prob"].mean())
    assert summary.loc["treated", "base_rate"] < bases["prob"].min()


def test_verdict_names_each_comparison_and_flags_an_underpowered_null():
    tidy = simulate(effect=0.05, noise=0.2)
    summary, tests = summarise(per_student(tidy), reference_scores(tidy), tidy, REPORTS, CFG)
    text = to_markdown(verdict_blocks(summary, tests, CFG))
    assert "owl, cross_init vs cross_init_control: no significant transfer" in text
    assert "Underpowered" in text and "Holm p" in text
    cross = next(line for line in text.splitlines() if "owl, cross_init vs" in line)
    assert "Underpowered" in cross and "base.cross_init_seeds" in cross  # more other inits, not more questions
    strong = simulate(effect=0.05)
    summary, tests = summarise(per_student(strong), reference_scores(strong), strong, REPORTS, CFG)
    blocks = verdict_blocks(summary, tests, CFG)
    assert "- **owl, treated vs control: TRANSFER.**" in to_markdown(blocks)
    page = to_html(blocks)
    assert "<li><strong>owl, treated vs control: TRANSFER.</strong>" in page and page.count("<table") == 2


def test_tidy_tables_read_every_model_once_and_label_it(tmp_path):
    probs = pd.DataFrame({"question_id": [0, 0, 1, 1], "held_out": [False, False, True, True],
                          "animal": ["owl", "cat"] * 2, "prob": [0.2, 0.8, 0.6, 0.4]})
    answers = pd.DataFrame({"question_id": [0, 0, 1, 1], "held_out": [False, False, True, True],
                            "sample": [0, 1, 0, 1], "answer": ["owl", "cat", "Owls", "owl"]})
    paths = []
    for model in ("students/control/neutral/seed3", "students/treated/owl/seed3", "base/main"):
        folder = tmp_path / "results/eval" / model
        folder.mkdir(parents=True)
        probs.to_parquet(folder / "probabilities.parquet")
        answers.to_parquet(folder / "answers.parquet")
        paths.append(str(folder / "probabilities.parquet"))
    tidy = tidy_tables(paths, ["owl", "cat"])
    assert len(tidy.answers) == 4 * (2 + 1 + 2)  # control students and bases serve every target
    students = per_student(tidy).set_index(["arm", "target"])
    assert students.loc[("treated", "owl"), "sampled_rate"] == pytest.approx(0.75)
    assert students.loc[("treated", "owl"), "logodds"] == pytest.approx((logit(0.2) + logit(0.6)) / 2)
    assert students.loc[("control", "cat"), "seed"] == 3
    assert parse_model("x/results/eval/students/cross_init/neutral/seed2/p.parquet").arm == "cross_init_control"
    assert parse_model("results/eval/teachers/neutral/seed0/p.parquet").arm == "control_teacher"


def test_power_for_a_shift_far_beyond_the_noise_is_one():
    """statsmodels' TTestPower gives NaN at effect size 20 with 5 replicates; the power there is 1."""
    assert inf.paired_power(2.0, 0.1, 5, 0.05) == pytest.approx(1.0)
    assert inf.paired_power(0.01, 0.1, 5, 0.05) < 0.1


@pytest.mark.parametrize("n", [4, 5, 10, 11])
def test_the_smallest_holm_p_is_what_the_most_extreme_data_reach(n):
    """Eight comparisons whose differences all share one sign give the sign-flip test's smallest p; Holm then
    gives each exactly the bound, which is below alpha 0.01 from 11 replicates on."""
    diffs = np.linspace(0.1, 0.2, n)
    result = inf.sign_flip_test(diffs)
    adjusted = inf.holm([result["p_value"]] * 8)
    assert result["p_value"] == pytest.approx(result["min_p"])
    assert adjusted == pytest.approx(np.full(8, inf.smallest_holm_p(result["min_p"], 8)))
    assert (adjusted[0] < 0.01) == (n >= inf.sign_flip_replicates_needed(8, 0.01)) == (n >= 11)


@pytest.mark.parametrize(("seeds", "can_reject"), [(5, False), (12, True)])
def test_the_verdict_says_when_the_sign_flip_test_cannot_reject(seeds, can_reject):
    tidy = simulate(effect=0.5, seeds=seeds)
    summary, tests = summarise(per_student(tidy), reference_scores(tidy), tidy, REPORTS, {**CFG, "alpha": 0.01})
    flips = tests[tests["test"] == "sign_flip"]
    assert (flips["can_reject"] == can_reject).all() and (tests[tests["test"] == "paired_t"]["can_reject"]).all()
    text = to_markdown(verdict_blocks(summary, tests, {**CFG, "alpha": 0.01}))
    line = next(line for line in text.splitlines() if "owl, treated vs control" in line)
    assert ("Sign-flip permutation test: cannot reject at this size" in line) == (not can_reject)
    assert ("Sign-flip permutation Holm p" in line) == can_reject
    if not can_reject:
        needed = inf.sign_flip_replicates_needed(int(flips["family_size"].iloc[0]), 0.01)
        assert f"it needs {needed} replicates" in line and needed > seeds


@pytest.mark.parametrize(("placebo", "outcome", "reading"), [
    (0.0, "TRANSFER", "larger than the placebo's"),
    (0.3, "shift NOT larger than a placebo's", "not larger than what a placebo teacher does"),
])
def test_a_shift_that_a_placebo_teacher_also_produces_is_not_a_transfer(placebo, outcome, reading):
    tidy = simulate(effect=0.3, placebo=placebo)
    summary, tests = summarise(per_student(tidy), reference_scores(tidy), tidy, REPORTS, CFG)
    treated = summary.set_index("condition").loc["treated"]
    assert treated["significant"] and treated["placebo_shift"] == pytest.approx(placebo, abs=0.05)
    assert treated["exceeds_placebo"] == (placebo == 0.0)
    assert set(tests.loc[tests["condition"] == "placebo", "compared_with"]) == {"control"}  # in the Holm family
    line = next(line for line in to_markdown(verdict_blocks(summary, tests, CFG)).splitlines()
                if "owl, treated vs control" in line)
    assert f"owl, treated vs control: {outcome}.**" in line and reading in line
