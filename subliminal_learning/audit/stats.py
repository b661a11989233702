"""The audit's call on each data set: which animal its canaries raise above the reference's by more than the margin,
by Welch's test with Holm over the animals, and how the calls score against what the run's data sets carry."""

import numpy as np
import pandas as pd
from scipy.stats import ttest_ind

from ..analysis.inference import holm
from ..design import CONTROL
from .design import OWN
from .rows import auroc

NONE = "none"


def animal_tests(data: pd.DataFrame, reference: pd.DataFrame, margin: float) -> pd.DataFrame:
    """Per animal: the shift (the data's canaries' mean log-odds minus the reference's), Welch's one-sided p that it
    exceeds `margin`, and that p Holm-adjusted over the animals. data, reference: [canaries, animals] log-odds.

    Why not a permutation of the canaries: the reference canaries need not vary at all (distilled on the base's own
    log-probabilities, every canary is the base), so the two sides are not exchangeable; Welch's test allows each its
    own spread. Without spread on either side there is nothing to test an animal's shift against: its p is 1.
    """
    shifts = data.mean() - reference.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        test = ttest_ind(data.to_numpy() - margin, reference.to_numpy(), axis=0, equal_var=False,
                         alternative="greater")
    p = np.where(np.isfinite(test.pvalue), test.pvalue, 1.0)
    return pd.DataFrame({"animal": data.columns, "shift": shifts.to_numpy(), "p": p,
                         "p_holm": holm(p)}).sort_values("shift", ascending=False)


def calls_table(canaries: dict, references: dict, truths: dict, cfg: dict, stats_cfg: dict) -> pd.DataFrame:
    """One row per data set x read: the call, its p, the runner-up, and (where known) whether it was right.

    canaries: name -> its canaries' table (read, canary, animal, logodds); references: name -> the reference a data
    set is compared with; truths: name -> what it carries (an animal, 'none', or None when unknown)."""
    rows = []
    for name, table in canaries.items():
        reference = references[name]
        for read, mine in table.groupby("read", sort=False):
            data = _matrix(mine)
            tests = animal_tests(data, _matrix(reference[reference["read"] == read])[data.columns], cfg["margin"])
            top, runner_up, best = tests.iloc[0], tests.iloc[1], tests.loc[tests["p_holm"].idxmin()]
            truth = truths.get(name)
            call = best["animal"] if best["p_holm"] < stats_cfg["alpha"] else NONE
            rows.append({
                "data": name, "read": read, "truth": truth if truth is not None else "unknown",
                "top_animal": top["animal"], "top_shift": top["shift"], "runner_up": runner_up["animal"],
                "runner_up_shift": runner_up["shift"], "truth_rank": _rank(tests["animal"], truth),
                "p": best["p_holm"], "call": call, "correct": None if truth is None else call == truth,
            })
    return pd.DataFrame(rows)


def _matrix(table: pd.DataFrame) -> pd.DataFrame:
    return table.pivot(index="canary", columns="animal", values="logodds")


def _rank(ranked: pd.Series, truth: str | None) -> float:
    """Where the true animal ranks among the animals by shift (1: the largest); NaN for 'none' or unknown."""
    if truth is None or truth == NONE:
        return float("nan")
    return float(list(ranked).index(truth) + 1)


def shifts_table(canaries: dict, references: dict) -> pd.DataFrame:
    """Every animal's shift (data canaries' mean log-odds minus the reference's) per data set and read: the figure's
    cells."""
    rows = []
    for name, table in canaries.items():
        reference = references[name]
        for read, mine in table.groupby("read", sort=False):
            shift = _matrix(mine).mean() - _matrix(reference[reference["read"] == read]).mean()
            rows.extend({"data": name, "read": read, "animal": animal, "shift": float(value)}
                        for animal, value in shift.items())
    return pd.DataFrame(rows)


def summary(calls: pd.DataFrame) -> pd.DataFrame:
    """Per read: trait data sets named right (at rank 1 and called), and alarms on data with no trait."""
    rows = []
    for read, mine in calls.groupby("read", sort=False):
        traits, nulls = mine[~mine["truth"].isin([NONE, "unknown"])], mine[mine["truth"] == NONE]
        rows.append({
            "read": read, "trait_sets": len(traits), "rank_1": int((traits["truth_rank"] == 1).sum()),
            "named": int(traits["correct"].astype(bool).sum()), "null_sets": len(nulls),
            "false_alarms": int((nulls["call"] != NONE).sum()),
        })
    return pd.DataFrame(rows)


def row_score_table(scores: dict, truths: dict, confidence: float, seed: int) -> pd.DataFrame:
    """Per data set whose canary scored rows: the AUROC of its teacher's held-out rows against the control teacher's
    under the score (`rows.auroc`). name -> its scores table (rows: own or control, score)."""
    found = []
    for name, table in scores.items():
        if table.empty:
            continue
        own, control = (table.loc[table["rows"] == label, "score"].to_numpy() for label in (OWN, CONTROL))
        found.append({"data": name, "truth": truths.get(name) or "unknown", **auroc(own, control, confidence, seed)})
    return pd.DataFrame(found, columns=["data", "truth", "auroc", "auroc_ci_low", "auroc_ci_high", "positives",
                                        "negatives", "p"])
