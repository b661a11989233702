"""Stage 7, stats: did the trait transfer, by how much, and could this run have seen it?

The primary measure is, per student, the mean over questions of the log-odds of the target's exact
probability (renormalised over the animals). Each arm is compared with a control of its own base:
treated and placebo with control (the shared base on the control teacher's numbers), cross_init with
cross_init_control (the other initialisation on the same numbers); treated is also compared with placebo,
so that a shift a teacher without a trait also produces is not called a transfer. Seeds pair the students.

Four tests per comparison (tests.csv): the paired t-test on per-seed log-odds (primary, it decides
the verdict), an exact sign-flip permutation test over seeds, and binomial GLMs with standard errors
clustered by seed (a seed's students are paired) on the sampled answers (the paper's measure) and
on the exact probabilities.
Each test's p-values are Holm-adjusted over all targets x comparisons.
"""

import logging

import pandas as pd

from . import inference as inf
from ..artifacts import atomic_path, read_json, write_parquet
from ..design import (BASE_OF_ARM, COMPARISONS, CONTROL_TEACHERS, PLACEBO, STUDENT_ARMS, TARGET_ARMS, TREATED,
                      is_control_arm, parse_numbers, reference_arm)
from .specificity import specificity_tables
from .tidy import per_student, reference_scores, tidy_tables
from .verdict import to_html, to_markdown, underpowered, verdict_blocks

PRIMARY = "paired_t"
TESTS = {  # test -> (scale of its estimate, what it is computed on)
    "paired_t": ("log-odds difference", "per-seed mean log-odds of the exact probability"),
    "sign_flip": ("log-odds difference", "per-seed mean log-odds, exact permutation over sign flips"),
    "glm_answers": ("odds ratio", "sampled answers naming the target, clustered by seed"),
    "glm_exact": ("odds ratio", "exact probability per question (fractional logit), clustered by seed"),
}


def _reference(references: pd.DataFrame, arm: str, target: str, column: str) -> float:
    """A reference model's measure; the mean over the cross_init bases when there are several."""
    rows = references[(references["arm"] == arm) & (references["target"] == target)]
    return float(rows[column].mean()) if len(rows) else float("nan")


def _numbers_teacher(arm: str, target: str, reports: dict) -> str:
    """Whose numbers an arm trained on: the target's teacher, the placebo, or the control teacher in use."""
    if arm == PLACEBO:
        return PLACEBO
    if not is_control_arm(arm):
        return target
    return next((t for t in CONTROL_TEACHERS if t in reports), CONTROL_TEACHERS[0])


def _teacher_rate(references: pd.DataFrame, teacher: str, target: str) -> float:
    return _reference(references, reference_arm(teacher), target, "prob")


def arm_row(group: pd.DataFrame, references: pd.DataFrame, reports: dict, confidence: float) -> dict:
    """One arm x target: the paper's estimate, the pooled rate, the exact probability, sanity gates."""
    target, arm = group["target"].iloc[0], group["arm"].iloc[0]
    rate, rate_low, rate_high = inf.t_interval(group["sampled_rate"], confidence)
    pooled, pooled_low, pooled_high = inf.wilson_interval(int(group["hits"].sum()), int(group["answers"].sum()),
                                                          confidence)
    lo, lo_low, lo_high = inf.t_interval(group["logodds"], confidence)
    teacher = _numbers_teacher(arm, target, reports)
    report = reports.get(teacher, {})
    base = BASE_OF_ARM[arm]
    return {
        "target": target, "condition": arm, "n_students": len(group),
        "base_rate": _reference(references, base, target, "prob"),
        "base_sampled_rate": _reference(references, base, target, "sampled_rate"),
        "teacher": teacher, "teacher_rate": _teacher_rate(references, teacher, target),
        "sampled_rate": rate, "sampled_rate_ci_low": rate_low, "sampled_rate_ci_high": rate_high,
        "pooled_rate": pooled, "pooled_rate_ci_low": pooled_low, "pooled_rate_ci_high": pooled_high,
        "prob": group["prob"].mean(),
        # the share of sampled answers naming any animal: the sampled rate means little where it is low
        "animal_share": group["animal_share"].mean(),
        "base_animal_share": _reference(references, base, target, "animal_share"),
        "logodds": lo, "logodds_ci_low": lo_low, "logodds_ci_high": lo_high,
        "shift_from_base": lo - _reference(references, base, target, "logodds"),
        "filter_removed_share": report.get("removed_share", float("nan")),
        "rows_per_student": report.get("used", float("nan")),
    }


def seed_differences(students: pd.DataFrame, target: str, arm: str, reference: str) -> pd.Series:
    """Per-seed log-odds difference arm - reference (seeds present in both arms)."""
    mine = students[students["target"] == target]
    wide = mine.pivot(index="seed", columns="arm", values="logodds")
    return (wide[arm] - wide[reference]).dropna()


def _glm(table: pd.DataFrame, target: str, arm: str, reference: str, outcome: str, confidence: float) -> dict:
    rows = table[(table["target"] == target) & table["arm"].isin([arm, reference])]
    return inf.cluster_glm(rows[outcome].astype(float), (rows["arm"] == arm).astype(float), rows["seed"],
                           confidence)


def comparison_tests(students, tidy, target: str, arm: str, reference: str, cfg: dict) -> list[dict]:
    """The four tests of one comparison, one row each."""
    diffs = seed_differences(students, target, arm, reference)
    results = {
        "paired_t": inf.paired_t(diffs, cfg["confidence"]),
        "sign_flip": inf.sign_flip_test(diffs, seed=cfg["seed"]),
        "glm_answers": _glm(tidy.answers, target, arm, reference, "hit", cfg["confidence"]),
        "glm_exact": _glm(tidy.probabilities, target, arm, reference, "prob", cfg["confidence"]),
    }
    common = {"target": target, "condition": arm, "compared_with": reference, "seeds_paired": len(diffs)}
    return [{**common, "test": test, "scale": TESTS[test][0], **result} for test, result in results.items()]


def tests_table(students: pd.DataFrame, tidy, cfg: dict) -> pd.DataFrame:
    """Every test of every comparison, with raw and Holm-adjusted p (Holm within each test, over all
    targets x comparisons) and the decision at the configured alpha."""
    rows = []
    for target in students["target"].unique():
        present = set(students.loc[students["target"] == target, "arm"])
        for arm, reference in COMPARISONS.items():
            if {arm, reference} <= present:
                rows += comparison_tests(students, tidy, target, arm, reference, cfg)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["p_holm"] = table.groupby("test")["p_value"].transform(lambda p: inf.holm(p.to_numpy()))
    table["significant"] = table["p_holm"] < cfg["alpha"]
    table["family_size"] = table.groupby("test")["p_value"].transform("count")
    table["min_p_holm"] = inf.smallest_holm_p(table["min_p"], table["family_size"])
    table["can_reject"] = table["min_p_holm"] < cfg["alpha"]
    table["note"] = table["note"].fillna("") if "note" in table else ""
    return table


def power_row(students: pd.DataFrame, summary_row: dict, diffs: pd.Series, target: str, reference: str,
              cfg: dict) -> dict:
    """What this run could have detected, given its per-seed differences `diffs`: MDD of the primary test
    and of the sampled rate, and the power to detect the shift the config expects."""
    sd = float(diffs.std(ddof=1)) if len(diffs) > 1 else float("nan")
    answers = students[(students["target"] == target) & (students["arm"] == reference)]["answers"].sum()
    return {
        "diff_sd": sd,
        "mdd_logodds": inf.paired_mdd(sd, len(diffs), cfg["power_alpha"], cfg["power"]),
        "power_at_expected": inf.paired_power(cfg["expected_shift"], sd, len(diffs), cfg["power_alpha"]),
        "mdd_sampled_rate": inf.rate_mdd(summary_row["pooled_rate"], int(answers), cfg["power_alpha"], cfg["power"]),
    }


def animal_shifts(animals: pd.DataFrame, arm: str, reference: str, target: str) -> pd.Series:
    """Every animal's mean paired log-odds shift arm - reference, for the students of `target`'s arm."""
    students = animals.dropna(subset=["seed"])
    mine = students["arm"] == arm
    if arm in TARGET_ARMS:  # the target's own students; the placebo's serve every target
        mine &= students["teacher"] == target
    arms = students[mine | (students["arm"] == reference)]
    wide = arms.pivot_table(index=["animal", "seed"], columns="arm", values="logodds")
    return (wide[arm] - wide[reference]).groupby("animal").mean()


def target_rank(animals: pd.DataFrame, arm: str, reference: str, target: str) -> tuple[int, int]:
    """Where the target's paired shift ranks among all animals' shifts (1 = the largest increase), and
    how many animals there are. A trait that transferred should move its own animal more than the
    others; training on any teacher's numbers also moves the other animals."""
    shift = animal_shifts(animals, arm, reference, target)
    return int(shift.rank(ascending=False, method="min")[target]), len(shift)


PRIMARY_COLUMNS = {"estimate": "diff_vs_control", "ci_low": "diff_ci_low", "ci_high": "diff_ci_high",
                   "statistic": "t", "p_value": "p_value", "p_holm": "p_holm", "significant": "significant"}


def summarise(students: pd.DataFrame, references: pd.DataFrame, tidy, reports: dict, cfg: dict):
    """(summary, tests): one row per target x arm, with the primary test, power and specificity on
    the compared arms; and the long table of every test."""
    tests = tests_table(students, tidy, cfg)
    rows = []
    for (target, arm), group in students.groupby(["target", "arm"], sort=False):
        row = arm_row(group, references, reports, cfg["confidence"])
        reference = COMPARISONS.get(arm)
        mine = tests[(tests["target"] == target) & (tests["condition"] == arm)] if len(tests) else tests
        if reference and len(mine):
            by_test = mine.set_index("test")
            row["compared_with"] = reference
            row.update({new: by_test.loc[PRIMARY, old] for old, new in PRIMARY_COLUMNS.items()})
            row["sign_flip_p_holm"] = by_test.loc["sign_flip", "p_holm"]
            diffs = seed_differences(students, target, arm, reference)
            row["seeds_positive"], row["seeds_paired"] = int((diffs > 0).sum()), len(diffs)
            row.update(power_row(students, row, diffs, target, reference, cfg))
            rank, n_animals = target_rank(tidy.animals, arm, reference, target)
            row.update(target_rank=rank, n_animals=n_animals, specificity_p=rank / n_animals)
        rows.append(row)
    order = {arm: i for i, arm in enumerate(STUDENT_ARMS)}
    summary = pd.DataFrame(rows).sort_values(["target", "condition"], key=lambda c: c.map(order) if
                                             c.name == "condition" else c, kind="stable", ignore_index=True)
    return against_placebo(summary, students, cfg), tests


def against_placebo(summary: pd.DataFrame, students: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """On each treated row: the placebo's shift on the target's animal, and whether the trait teacher's students
    moved it further than the placebo teacher's (paired t over replicates of treated - placebo, Holm over
    targets): an effect a placebo also produces is not a trait's."""
    if PLACEBO not in set(summary["condition"]) or TREATED not in set(summary["condition"]):
        return summary
    rows = []
    for target in summary.loc[summary["condition"] == TREATED, "target"]:
        diffs = seed_differences(students, target, TREATED, PLACEBO)
        test = inf.paired_t(diffs, cfg["confidence"])
        placebo = summary[(summary["target"] == target) & (summary["condition"] == PLACEBO)]["diff_vs_control"]
        rows.append({"target": target, "condition": TREATED, "placebo_shift": placebo.iloc[0],
                     "vs_placebo": test["estimate"], "vs_placebo_ci_low": test["ci_low"],
                     "vs_placebo_ci_high": test["ci_high"], "vs_placebo_p": test["p_value"]})
    versus = pd.DataFrame(rows)
    versus["vs_placebo_p_holm"] = inf.holm(versus["vs_placebo_p"].to_numpy())
    versus["exceeds_placebo"] = (versus["vs_placebo_p_holm"] < cfg["alpha"]) & (versus["vs_placebo"] > 0)
    return summary.merge(versus, on=["target", "condition"], how="left")


def filter_reports(paths) -> dict:
    """Per teacher: the mean share of completions the filter removed over replicates (each replicate
    filters its own draw), and the rows each student trained on."""
    reports = {}
    for path in paths:
        report = read_json(path)
        reports.setdefault(parse_numbers(path)[0], []).append(report)
    return {
        teacher: {"removed_share": sum(r["removed_share"] for r in rows) / len(rows), "used": rows[0]["used"]}
        for teacher, rows in reports.items()
    }


def stats_stage(inputs, params, output) -> None:
    """The stats rule: tidy tables, summary, tests, per-student table and the verdict."""
    cfg = params.stats
    tidy = tidy_tables(list(inputs.students) + list(inputs.references), params.targets)
    students = per_student(tidy)
    references = reference_scores(tidy)
    reports = filter_reports(inputs.filter_reports)
    summary, tests = summarise(students, references, tidy, reports, cfg)
    target_animal, specificity, population = specificity_tables(tidy.animals, params.targets, cfg)
    write_parquet(tidy.answers, output.answers)
    write_parquet(tidy.probabilities, output.probabilities)
    write_parquet(tidy.animals, output.animals)
    for frame, path in ((students, output.per_student), (summary, output.summary), (tests, output.tests),
                        (target_animal, output.target_animal), (specificity, output.specificity),
                        (population, output.population)):
        with atomic_path(path) as partial:
            frame.to_csv(partial, index=False)
    for row in summary.dropna(subset=["p_value"]).itertuples():
        if underpowered(row, cfg["power"]):
            logging.warning("%s %s vs %s: not significant, and this run had power %.2f to detect the expected "
                            "shift %+.4f (MDD %.4f)", row.target, row.condition, row.compared_with,
                            row.power_at_expected, cfg["expected_shift"], row.mdd_logodds)
    blocks = verdict_blocks(summary, tests, cfg, specificity, population, params.teacher)
    for render, path in ((to_markdown, output.verdict), (to_html, output.verdict_html)):
        with atomic_path(path) as partial:
            partial.write_text(render(blocks))
    print(summary.to_string())
