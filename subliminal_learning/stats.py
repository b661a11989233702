"""Stage 7, stats: did the trait transfer? Per-condition estimates and paired tests over seeds.

The per-student measure is the mean over questions of the log-odds of the target's exact
probability (renormalised over the animals). Each arm is compared with a control of the same
base: treated with control (the shared base on the control teacher's numbers), cross_init with
cross_init_control (the other initialisation on the control teacher's numbers). Seeds pair the
students: the same seed gives the same data order.
"""

import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as st

from .animals import mentions
from .artifacts import atomic_path, read_json

STUDENT_PATH = re.compile(r"eval/students/(?P<condition>[a-z_]+)/(?P<teacher>[a-z]+)/seed(?P<seed>\d+)/")
CONTROL_TEACHERS = ("neutral", "base")  # whose numbers control students train on
COMPARISONS = {"treated": "control", "cross_init": "cross_init_control"}


def logit(p):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p) - np.log1p(-p)


def target_scores(probabilities: pd.DataFrame, answers: pd.DataFrame, target: str) -> dict:
    """One model's trait measures for one target."""
    p = probabilities.loc[probabilities["animal"] == target, "prob"].to_numpy()
    hits = answers["answer"].map(lambda a: mentions(a, target))
    return {
        "prob": float(p.mean()),
        "logodds": float(logit(p).mean()),
        "sampled_rate": float(hits.groupby(answers["question_id"]).mean().mean()),
    }


def _model_path(probabilities_path: str) -> str:
    return str(Path(probabilities_path).parent)


def _answers_path(probabilities_path: str) -> str:
    return str(Path(probabilities_path).with_name("answers.parquet"))


def _scores_for(path: str, target: str) -> dict:
    return target_scores(pd.read_parquet(path), pd.read_parquet(_answers_path(path)), target)


def reference_scores(reference_paths, targets) -> dict:
    """{(model, target): scores} for bases and teachers, model like 'base/main' or 'teachers/owl'."""
    scores = {}
    for path in reference_paths:
        model = _model_path(path).split("eval/", 1)[1]
        for target in targets:
            scores[(model, target)] = _scores_for(path, target)
    return scores


def arm(condition: str, teacher: str) -> str:
    """The arm a student belongs to: students on a control teacher's numbers are their base's control."""
    if teacher not in CONTROL_TEACHERS or condition == "control":
        return condition
    return f"{condition}_control"


def student_table(student_paths, targets) -> pd.DataFrame:
    """One row per student x target it is measured for (control students serve every target)."""
    rows = []
    for path in student_paths:
        match = STUDENT_PATH.search(str(path))
        condition = arm(match["condition"], match["teacher"])
        for target in targets if match["teacher"] in CONTROL_TEACHERS else [match["teacher"]]:
            rows.append({"condition": condition, "target": target, "seed": int(match["seed"]),
                         **_scores_for(path, target)})
    return pd.DataFrame(rows)


def animal_table(student_paths) -> pd.DataFrame:
    """Every animal's mean log-odds per student: arm, teacher, seed, animal, logodds."""
    frames = []
    for path in student_paths:
        match = STUDENT_PATH.search(str(path))
        probs = pd.read_parquet(path)
        logodds = probs.assign(logodds=logit(probs["prob"])).groupby("animal")["logodds"].mean()
        frames.append(pd.DataFrame({
            "condition": arm(match["condition"], match["teacher"]), "teacher": match["teacher"],
            "seed": int(match["seed"]), "animal": logodds.index, "logodds": logodds.to_numpy(),
        }))
    return pd.concat(frames, ignore_index=True)


def target_rank(animals: pd.DataFrame, condition: str, reference: str, target: str) -> int:
    """Where the target's paired shift ranks among all animals' shifts (1 = the largest increase).

    A trait that transferred should move its own animal more than the others; training on any
    teacher's numbers also moves the other animals, so the rank tells how specific a shift is.
    """
    arms = animals[((animals["condition"] == condition) & (animals["teacher"] == target))
                   | (animals["condition"] == reference)]
    wide = arms.pivot_table(index=["animal", "seed"], columns="condition", values="logodds")
    shift = (wide[condition] - wide[reference]).groupby("animal").mean()
    return int(shift.rank(ascending=False, method="min")[target])


def base_of(condition: str) -> str:
    return "base/cross_init" if condition.startswith("cross_init") else "base/main"


def numbers_teacher(condition: str, target: str, available) -> str:
    """Whose numbers an arm trained on: the target's teacher, or the control teacher in use."""
    if not condition.endswith("control"):
        return target
    return next((t for t in CONTROL_TEACHERS if t in available), CONTROL_TEACHERS[0])


def teacher_model(teacher: str) -> str:
    return "base/main" if teacher == "base" else f"teachers/{teacher}"


def t_interval(values, confidence: float) -> tuple[float, float, float]:
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = st.t.ppf(0.5 + confidence / 2, len(values) - 1) * st.sem(values)
    return mean, mean - half, mean + half


def paired_difference(students: pd.DataFrame, condition: str, reference: str, confidence: float) -> dict:
    """Paired t-test over seeds of the log-odds difference condition - reference."""
    wide = students.pivot(index="seed", columns="condition", values="logodds").dropna()
    diff = wide[condition] - wide[reference]
    mean, low, high = t_interval(diff, confidence)
    test = st.ttest_1samp(diff, 0.0) if len(diff) > 1 else None
    return {
        "diff_vs_control": mean, "diff_ci_low": low, "diff_ci_high": high,
        "t": float(test.statistic) if test else float("nan"),
        "p_value": float(test.pvalue) if test else float("nan"),
        "seeds_positive": int((diff > 0).sum()), "seeds_paired": len(diff),
    }


def summarise(students: pd.DataFrame, references: dict, filter_reports: dict, confidence: float, alpha: float,
              animals: pd.DataFrame | None = None):
    """The summary table: one row per target x condition (`animals`, if given, adds the target's rank)."""
    students = students.copy()
    students["shift"] = [
        row.logodds - references[(base_of(row.condition), row.target)]["logodds"] for row in students.itertuples()
    ]
    rows = []
    for (target, condition), group in students.groupby(["target", "condition"], sort=False):
        rate, rate_low, rate_high = t_interval(group["sampled_rate"], confidence)
        lo, lo_low, lo_high = t_interval(group["logodds"], confidence)
        teacher = numbers_teacher(condition, target, filter_reports)
        report = filter_reports.get(teacher, {})
        row = {
            "target": target, "condition": condition, "n_students": len(group),
            "base_rate": references[(base_of(condition), target)]["prob"],
            "teacher_rate": references.get((teacher_model(teacher), target), {}).get("prob", float("nan")),
            "sampled_rate": rate, "sampled_rate_ci_low": rate_low, "sampled_rate_ci_high": rate_high,
            "prob": group["prob"].mean(),
            "logodds": lo, "logodds_ci_low": lo_low, "logodds_ci_high": lo_high,
            "shift_from_base": group["shift"].mean(),
            "filter_removed_share": report.get("removed_share", float("nan")),
            "rows_per_student": report.get("used", float("nan")),
        }
        reference = COMPARISONS.get(condition)
        pair = students[(students["target"] == target) & students["condition"].isin([condition, reference])]
        if reference and (pair["condition"] == reference).any():
            row["compared_with"] = reference
            row.update(paired_difference(pair, condition, reference, confidence))
            row["significant"] = bool(row["p_value"] < alpha)
            if animals is not None:
                row["target_rank"] = target_rank(animals, condition, reference, target)
                row["n_animals"] = animals["animal"].nunique()
        rows.append(row)
    return pd.DataFrame(rows)


ARM_COLUMNS = {
    "target": "target", "condition": "arm", "n_students": "students", "base_rate": "base p",
    "teacher_rate": "teacher p", "prob": "student p", "sampled_rate": "sampled rate",
    "logodds": "log-odds", "filter_removed_share": "filtered out",
}


def _rank_sentence(row) -> str:
    if pd.isna(getattr(row, "target_rank", float("nan"))):
        return ""
    return (f" Specificity: {row.target}'s shift ranks {int(row.target_rank)} of {int(row.n_animals)} animals "
            "(1 = the largest increase).")


def verdict_lines(summary: pd.DataFrame, alpha: float) -> list[str]:
    """The verdict in words, then the arms (p: exact target probability, mean over questions)."""
    lines = ["# Verdict", ""]
    for row in summary.dropna(subset=["p_value"]).itertuples():
        direction = "higher" if row.diff_vs_control > 0 else "lower"
        outcome = "TRANSFER" if row.significant and row.diff_vs_control > 0 else (
            "significant difference" if row.significant else "no significant transfer")
        lines.append(
            f"- {row.target}, {row.condition} vs {row.compared_with}: {outcome}. Log-odds shift {direction} by "
            f"{row.diff_vs_control:+.4f} (95% CI {row.diff_ci_low:+.4f} to {row.diff_ci_high:+.4f}), "
            f"paired t = {row.t:.2f}, p = {row.p_value:.2g} (alpha {alpha}), "
            f"{int(row.seeds_positive)}/{int(row.seeds_paired)} seeds positive."
            + _rank_sentence(row)
        )
    arms = summary[list(ARM_COLUMNS)].rename(columns=ARM_COLUMNS)
    return lines + ["", "## Arms", "", arms.to_markdown(index=False, floatfmt=".4f")]


def stats_stage(inputs, params, output) -> None:
    """The stats rule: summary.csv, per_student.csv and verdict.md."""
    targets = params.targets
    students = student_table(inputs.students, targets)
    references = reference_scores(inputs.references, targets)
    reports = {Path(p).parent.name: read_json(p) for p in inputs.filter_reports}
    cfg = params.stats
    summary = summarise(students, references, reports, cfg["confidence"], cfg["alpha"], animal_table(inputs.students))
    for frame, path in ((students, output.per_student), (summary, output.summary)):
        with atomic_path(path) as partial:
            frame.to_csv(partial, index=False)
    with atomic_path(output.verdict) as partial:
        partial.write_text("\n".join(verdict_lines(summary, cfg["alpha"])) + "\n")
    print(summary.to_string())
