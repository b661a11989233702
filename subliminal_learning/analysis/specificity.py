"""Is the transfer specific to each teacher's own animal, and bound to the shared initialisation?

With several targets, every target's students are a control for every other target: the paper's figure
is a target x animal table in which each row should light up on its own animal. Three statistics:

- the target x animal table of shifts against the control students (mean over replicates);
- own animal against the other targets' students: for target t in replicate s,
  d[s, t] = (t's students on animal t) - (mean of the other targets' students on animal t), with an exact
  or Monte Carlo permutation test that shuffles the target labels of the students within each replicate;
- the population shift: per replicate, the mean over targets of (target's students - control students) on
  the target's animal. For cross-init students "no transfer" is a statement about this mean: for one animal
  and one other base, a cross-init student moves by a random amount of either sign.
"""

import itertools

import numpy as np
import pandas as pd

from . import inference as inf
from ..design import COMPARISONS, TARGET_ARMS



def student_logodds(animals: pd.DataFrame, arm: str) -> pd.DataFrame:
    """Log-odds of every animal for the students of one arm: index (seed, teacher), columns animals."""
    rows = animals[(animals["arm"] == arm)].dropna(subset=["seed"])
    return rows.pivot_table(index=["seed", "teacher"], columns="animal", values="logodds")


def target_animal_table(animals: pd.DataFrame, arm: str, reference: str, targets: list[str]) -> pd.DataFrame:
    """Mean over replicates of each target's students minus the reference students, on every animal
    (rows: targets, columns: animals)."""
    mine, control = student_logodds(animals, arm), student_logodds(animals, reference)
    control = control.droplevel("teacher")
    shifts = {t: (mine.xs(t, level="teacher") - control).dropna().mean() for t in targets if t in
              mine.index.get_level_values("teacher")}
    return pd.DataFrame(shifts).T.reindex(columns=mine.columns)


def own_animal_matrix(animals: pd.DataFrame, arm: str, targets: list[str]) -> tuple[np.ndarray, list]:
    """(L, seeds): L[s, i, j] is the log-odds of animal targets[j] for the students of targets[i] in replicate
    seeds[s] (the replicates with a student of every target)."""
    wide = student_logodds(animals, arm)
    seeds = [s for s in wide.index.get_level_values("seed").unique()
             if all((s, t) in wide.index for t in targets)]
    return np.stack([wide.loc[[(s, t) for t in targets], targets].to_numpy() for s in seeds]), seeds


def own_minus_others(matrix: np.ndarray) -> np.ndarray:
    """d[s, j]: target j's students on animal j minus the other targets' students' mean on animal j."""
    k = matrix.shape[-1]
    own = np.einsum("...jj->...j", matrix)
    return own - (matrix.sum(axis=-2) - own) / (k - 1)


def label_permutations(n_replicates: int, k: int, n_permutations: int, seed: int):
    """Permutations of the k target labels, one per replicate: all (k!)^n of them when there are at most
    `n_permutations`, else that many drawn at random (the identity first, so the observed statistic
    counts as one draw)."""
    single = list(itertools.permutations(range(k)))
    if len(single) ** n_replicates <= n_permutations:
        return [np.array(p) for p in itertools.product(single, repeat=n_replicates)], True
    rng = np.random.default_rng(seed)
    draws = [np.tile(np.arange(k), (n_replicates, 1))]
    draws += [np.stack([rng.permutation(k) for _ in range(n_replicates)]) for _ in range(n_permutations - 1)]
    return draws, False


def label_permutation_test(matrix: np.ndarray, n_permutations: int, seed: int) -> dict:
    """One-sided permutation test that each target's students are highest on their own animal.

    Under the null the target a student's teacher had is irrelevant to its animal preferences, so within a
    replicate the labels of the k targets' students are exchangeable. Returns the pooled statistic (mean of
    d over replicates and targets) with its p, and each target's mean d with its own p from the same
    permutations.
    """
    n, k, _ = matrix.shape
    observed = own_minus_others(matrix).mean(axis=0)
    permutations, exact = label_permutations(n, k, n_permutations, seed)
    relabelled = matrix[np.arange(n)[None, :, None], np.stack(permutations)]  # [permutation, replicate, k, k]
    null = own_minus_others(relabelled).mean(axis=1)
    tolerance = 1e-12  # ties (the identity, symmetric draws) count as at least as extreme
    per_target = ((null >= observed - tolerance).sum(axis=0)) / len(null)
    pooled = ((null.mean(axis=1) >= observed.mean() - tolerance).sum()) / len(null)
    return {"statistic": float(observed.mean()), "p_value": float(pooled), "per_target": observed,
            "per_target_p": per_target, "permutations": len(null), "exact": exact,
            "min_p": 1 / len(null)}  # only the observed labelling (the identity) reaches the observed statistic


def rank_among_targets(matrix: np.ndarray) -> np.ndarray:
    """ranks[s, j]: where target j's students rank among all targets' students on animal j (1 = highest)."""
    order = (-matrix).argsort(axis=1).argsort(axis=1) + 1  # rank of each row within its column
    return np.einsum("sjj->sj", order)


def own_animal_shifts(animals: pd.DataFrame, arm: str, reference: str, targets: list[str]) -> pd.DataFrame:
    """(replicates x targets): each target's students minus the reference students on the target's animal, in
    the replicates that have every target."""
    mine, control = student_logodds(animals, arm), student_logodds(animals, reference).droplevel("teacher")
    return pd.DataFrame({t: mine.xs(t, level="teacher")[t] - control[t] for t in targets}).dropna()


def population_test(animals: pd.DataFrame, arm: str, reference: str, targets: list[str], confidence: float) -> dict:
    """The population shift tested over replicates (one-sample t of the per-replicate means over targets) and
    over targets (of the per-target means over replicates: columns prefixed `targets_`)."""
    shifts = own_animal_shifts(animals, arm, reference, targets)
    per_seed, per_target = shifts.mean(axis=1), shifts.mean(axis=0)
    over_targets = {f"targets_{k}": v for k, v in inf.paired_t(per_target, confidence).items() if k != "estimate"}
    return {"per_seed": per_seed, "per_target": per_target, **inf.paired_t(per_seed, confidence), **over_targets}


SPECIFICITY_COLUMNS = ["arm", "target", "own_minus_others", "p_value", "p_holm", "rank_1_seeds", "seeds",
                       "n_targets", "ranks", "min_p_holm", "can_reject"]


def specificity_tables(animals: pd.DataFrame, targets: list[str], cfg: dict):
    """(target_animal, specificity, population) for every arm present with its control:
    - target_animal: long table arm x target x animal of mean shifts against the control students;
    - specificity: per arm and target, own animal against the other targets' students (mean d, one-sided
      permutation p, Holm over targets, rank among targets per replicate), and a pooled row (target 'all');
    - population: per arm, the mean own-animal shift against control, tested over replicates and over targets.
    """
    present = set(animals["arm"].dropna())
    table_rows, spec_rows, pop_rows = [], [], []
    for arm, reference in COMPARISONS.items():  # arms with one teacher per target: the placebo has one for all
        if arm not in TARGET_ARMS or not {arm, reference} <= present:
            continue
        shifts = target_animal_table(animals, arm, reference, targets)
        table_rows.append(shifts.rename_axis(index="target", columns="animal").stack().rename("shift")
                          .reset_index().assign(arm=arm, compared_with=reference))
        pop = population_test(animals, arm, reference, targets, cfg["confidence"])
        pop_rows.append({"arm": arm, "compared_with": reference, "targets": len(targets),
                         "seeds": len(pop["per_seed"]), "seeds_positive": int((pop["per_seed"] > 0).sum()),
                         **{k: v for k, v in pop.items() if k not in ("per_seed", "per_target")},
                         "per_seed": " ".join(f"{v:+.3f}" for v in pop["per_seed"]),
                         "per_target": " ".join(f"{t} {v:+.3f}" for t, v in pop["per_target"].items())})
        if len(targets) > 1:
            spec_rows += _specificity_rows(animals, arm, targets, cfg)
    population = pd.DataFrame(pop_rows)
    if len(population) == 2:  # cross-init's population shift as a share of the same-init one
        population["share_of_same_init"] = population["estimate"] / population["estimate"].iloc[0]
    target_animal = pd.concat(table_rows, ignore_index=True) if table_rows else pd.DataFrame()
    return target_animal, pd.DataFrame(spec_rows, columns=SPECIFICITY_COLUMNS), population


def _specificity_rows(animals: pd.DataFrame, arm: str, targets: list[str], cfg: dict) -> list[dict]:
    matrix, seeds = own_animal_matrix(animals, arm, targets)
    test = label_permutation_test(matrix, cfg["permutations"], cfg["seed"])
    ranks = rank_among_targets(matrix)
    per_target_holm = inf.holm(test["per_target_p"])
    per_target_min = float(inf.smallest_holm_p(test["min_p"], len(targets)))
    rows = [
        {"arm": arm, "target": t, "own_minus_others": test["per_target"][j], "p_value": test["per_target_p"][j],
         "p_holm": per_target_holm[j], "rank_1_seeds": int((ranks[:, j] == 1).sum()), "seeds": len(seeds),
         "n_targets": len(targets), "ranks": " ".join(map(str, ranks[:, j])), "min_p_holm": per_target_min}
        for j, t in enumerate(targets)
    ]
    rows.append({"arm": arm, "target": "all", "own_minus_others": test["statistic"], "p_value": test["p_value"],
                 "p_holm": test["p_value"], "rank_1_seeds": int((ranks == 1).sum()), "seeds": len(seeds),
                 "n_targets": len(targets),
                 "ranks": f"{test['permutations']} {'exact' if test['exact'] else 'random'} permutations",
                 "min_p_holm": test["min_p"]})
    for row in rows:
        row["can_reject"] = row["min_p_holm"] < cfg["alpha"]
    return rows
