"""The MNIST experiment's statistics: accuracy per arm and m, the tests, and the verdict.

Seeds pair the arms: seed k's student_aux and cross_init_aux students imitate the same teacher k, so
student_aux is compared with cross_init_aux by a paired t-test over seeds; cross_init_aux is compared
with chance (0.1, ten balanced digits) by a one-sample t-test. Holm adjusts every p over the family of
both tests at every m.
"""

import numpy as np
import pandas as pd

from ..analysis import inference as inf
from ..analysis.verdict import outcome

ARMS = ("reference", "teacher", "student_aux", "cross_init_aux", "student_all", "cross_init_all")
COMPARISONS = (("student_aux", "cross_init_aux"), ("cross_init_aux", "chance"))


def summary_table(accuracy: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Per m and arm: seeds, mean accuracy with its t-interval, min and max over seeds."""
    rows = []
    for (m, arm), group in accuracy.groupby(["m", "arm"], sort=False):
        mean, low, high = inf.t_interval(group["accuracy"], confidence)
        rows.append({"m": m, "arm": arm, "seeds": len(group), "mean": mean, "ci_low": low, "ci_high": high,
                     "min": group["accuracy"].min(), "max": group["accuracy"].max()})
    table = pd.DataFrame(rows)
    table["arm"] = pd.Categorical(table["arm"], categories=ARMS, ordered=True)
    return table.sort_values(["m", "arm"], ignore_index=True).astype({"arm": str})


def comparison_differences(accuracy: pd.DataFrame, m: int, arm: str, reference: str, chance: float) -> pd.Series:
    """Per-seed accuracy of `arm` minus that of `reference` (paired by seed), or minus chance."""
    at_m = accuracy[accuracy["m"] == m].pivot(index="seed", columns="arm", values="accuracy")
    baseline = chance if reference == "chance" else at_m[reference]
    return (at_m[arm] - baseline).dropna()


def tests_table(accuracy: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """Both comparisons at every m: paired t over seeds (estimate: accuracy difference, CI), Holm p."""
    rows = []
    for m in sorted(accuracy["m"].unique()):
        for arm, reference in COMPARISONS:
            diffs = comparison_differences(accuracy, m, arm, reference, cfg["chance"])
            test = inf.paired_t(diffs, cfg["confidence"])
            rows.append({"m": m, "arm": arm, "compared_with": reference, **test, "seeds": len(diffs),
                         "seeds_positive": int((diffs > 0).sum())})
    table = pd.DataFrame(rows)
    table["p_holm"] = inf.holm(table["p_value"])
    table["significant"] = table["p_holm"] < cfg["alpha"]
    table["min_p_holm"] = inf.smallest_holm_p(table["min_p"], table["p_value"].count())
    table["can_reject"] = table["min_p_holm"] < cfg["alpha"]
    return table


def transfer_outcome(row) -> str:
    """The language-model verdict's words: TRANSFER, no significant transfer, or a negative difference."""
    return outcome(pd.Series({"significant": bool(row.significant), "diff_vs_control": row.estimate}))


def comparison_line(row, cfg: dict) -> str:
    versus = f"chance ({cfg['chance']:g})" if row.compared_with == "chance" else row.compared_with
    return (f"**m = {row.m}, {row.arm} vs {versus}: {transfer_outcome(row)}.** "
            f"Accuracy difference {row.estimate:+.3f} ({cfg['confidence']:.0%} CI {row.ci_low:+.3f} to {row.ci_high:+.3f}), "
            f"paired t = {row.statistic:.2f}, p = {row.p_value:.2g}, Holm p = {row.p_holm:.2g}, "
            f"{row.seeds_positive}/{row.seeds} seeds positive."
            + ("" if row.can_reject else f" The paired t-test cannot reject with {row.seeds} seed(s): it needs two."))


def gate_items(summary: pd.DataFrame, cfg: dict, loss: str) -> list[str]:
    """Whether the teacher has something to pass on, and what an m of 1 can carry under the loss."""
    row = summary[summary["arm"] == "teacher"].iloc[0]  # one teacher per seed serves every m
    verdict = "learned the digits" if row["mean"] >= cfg["min_teacher_accuracy"] else "did NOT learn the digits"
    items = [f"The teachers' held-out accuracy is {row['mean']:.3f} (min {row['min']:.3f} over {row['seeds']} seeds; "
             f"gate {cfg['min_teacher_accuracy']:g}): {verdict}."]
    if loss == "kl" and (summary["m"] == 1).any():
        items.append("m = 1 under the KL loss: a softmax over one logit is constant, so the student_aux and "
                     "cross_init_aux students get exactly zero gradient and stay at their inits; "
                     "it is the sweep's built-in null, not a failure.")
    return items


def theorem_items(theorem: pd.DataFrame) -> list[str]:
    return [f"{row.init} init: {row.share_positive:.1%} of {row.draws} draws have a positive inner product "
            f"between the student's and the teacher's step; the student's class loss went down in "
            f"{row.share_class_loss_down:.1%}." for row in theorem.itertuples()]


def verdict_blocks(summary: pd.DataFrame, tests: pd.DataFrame, theorem: pd.DataFrame, cfg: dict,
                   loss: str) -> list[tuple[str, object]]:
    """The MNIST verdict as (kind, content) blocks for verdict.to_markdown / to_html."""
    return [
        ("heading", "MNIST verdict"),
        ("paragraph", "Primary test: paired t-test over seeds of held-out digit accuracy, student_aux against "
                      "cross_init_aux (both imitate the same teacher's auxiliary logits on noise; only the init "
                      f"differs), and cross_init_aux against chance; Holm-adjusted over {len(tests)} comparisons "
                      f"(family-wise alpha {cfg['alpha']}). Imitation loss: {loss}."),
        ("items", [comparison_line(row, cfg) for row in tests.itertuples()]),
        ("subheading", "Sanity gates"), ("items", gate_items(summary, cfg, loss)),
        ("subheading", "Theorem check (one small step)"), ("items", theorem_items(theorem)),
        ("subheading", "Arms"), ("table", summary),
        ("subheading", "Every test"), ("table", tests.drop(columns="significant")),
    ]


def tidy_accuracy(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack the per-m accuracy tables into one row per m x arm x seed."""
    table = pd.concat(tables, ignore_index=True)
    table["m"] = table["m"].astype(np.int64)
    return table.sort_values(["m", "arm", "seed"], ignore_index=True)
