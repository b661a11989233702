"""The audit's call on each data set: which animal its canaries raise above the reference's by more than the margin,
with a permutation p, and how the calls score against what the run's data sets carry."""

from itertools import combinations

import numpy as np
import pandas as pd

NONE = "none"


def _largest_shift(values: np.ndarray, chosen: np.ndarray) -> float:
    """The largest over animals of the chosen canaries' mean log-odds minus the others'."""
    return float((values[chosen].mean(axis=0) - values[~chosen].mean(axis=0)).max())


def _splits(total: int, size: int, limit: int, seed: int):
    """Every way of choosing `size` of `total` canaries as the data's (the observed split first), or `limit` of them
    at random when there are more."""
    every = list(combinations(range(total), size))
    if len(every) > limit:
        rng = np.random.default_rng(seed)
        every = [tuple(range(size))] + [tuple(rng.choice(total, size, replace=False)) for _ in range(limit - 1)]
    for chosen in every:
        mask = np.zeros(total, dtype=bool)
        mask[list(chosen)] = True
        yield mask


def permutation_test(data: np.ndarray, reference: np.ndarray, margin: float, limit: int = 20000,
                     seed: int = 0) -> tuple[int, float, float]:
    """(the animal whose log-odds the data's canaries raise most, by how much, p).

    data, reference: [canaries, animals] log-odds. The null: no animal is raised by more than `margin` (the data's
    canaries, lowered by the margin, are exchangeable with the reference's); the statistic, the largest raise over
    the animals, so p is already adjusted for choosing the animal (max-T). With 4 canaries a side, 70 splits: the
    smallest p is 1/70.
    """
    shifts = data.mean(axis=0) - reference.mean(axis=0)
    values = np.vstack([data - margin, reference])
    statistics = [_largest_shift(values, mask) for mask in _splits(len(values), len(data), limit, seed)]
    observed = statistics[0]
    p = float(np.mean(np.asarray(statistics) >= observed - 1e-12))
    top = int(np.argmax(shifts))
    return top, float(shifts[top]), p


def calls_table(canaries: dict, references: dict, truths: dict, cfg: dict, stats_cfg: dict) -> pd.DataFrame:
    """One row per data set x read: the call, its p, the runner-up, and (where known) whether it was right.

    canaries: name -> its canaries' table (read, canary, animal, logodds); references: name -> the reference a data
    set is compared with; truths: name -> what it carries (an animal, 'none', or None when unknown)."""
    rows = []
    for name, table in canaries.items():
        reference = references[name]
        for read, mine in table.groupby("read", sort=False):
            theirs = reference[reference["read"] == read]
            data, ref = _matrix(mine), _matrix(theirs)
            animals = list(data.columns)
            top, shift, p = permutation_test(data.to_numpy(), ref[animals].to_numpy(), cfg["margin"],
                                             stats_cfg["permutations"], stats_cfg["seed"])
            shifts = (data.mean() - ref[animals].mean()).sort_values(ascending=False)
            truth = truths.get(name)
            call = animals[top] if p < stats_cfg["alpha"] else NONE
            rows.append({
                "data": name, "read": read, "truth": truth if truth is not None else "unknown",
                "top_animal": animals[top], "top_shift": shift, "runner_up": shifts.index[1],
                "runner_up_shift": float(shifts.iloc[1]), "truth_rank": _rank(shifts, truth),
                "p": p, "call": call, "correct": None if truth is None else call == truth,
            })
    return pd.DataFrame(rows)


def _matrix(table: pd.DataFrame) -> pd.DataFrame:
    return table.pivot(index="canary", columns="animal", values="logodds")


def _rank(shifts: pd.Series, truth: str | None) -> float:
    """Where the true animal ranks among the shifts (1: the largest); NaN for 'none' or unknown."""
    if truth is None or truth == NONE:
        return float("nan")
    return float(list(shifts.index).index(truth) + 1)


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
