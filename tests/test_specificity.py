"""Specificity across targets and the population test, on simulated students with a known truth."""

import numpy as np
import pandas as pd
import pytest

from subliminal_learning.analysis import specificity as sp

TARGETS = ["owl", "eagle", "dolphin", "wolf"]
ANIMALS = TARGETS + ["cat", "dog"]
CFG = {"confidence": 0.95, "permutations": 2000, "seed": 0, "alpha": 0.01}


def students(rng, seeds: int, own_shift: float, cross_shift: float = 0.0, noise: float = 0.1) -> pd.DataFrame:
    """Tidy animal log-odds of every student of a 4-target experiment: each target's students move their own
    animal by `own_shift` (cross-init students by `cross_shift`) above the control students."""
    rows = []
    for seed in range(seeds):
        for arm, teachers, shift in (("treated", TARGETS, own_shift), ("control", ["neutral"], 0.0),
                                     ("cross_init", TARGETS, cross_shift), ("cross_init_control", ["neutral"], 0.0)):
            for teacher in teachers:
                for animal in ANIMALS:
                    value = -3 + rng.normal(0, noise) + (shift if animal == teacher else 0.0)
                    rows.append({"arm": arm, "teacher": teacher, "seed": seed, "animal": animal, "logodds": value})
    return pd.DataFrame(rows)


def test_own_minus_others_and_ranks_on_a_hand_case():
    # replicate 0: rows are targets' students, columns the targets' animals
    matrix = np.array([[[3.0, 0.0], [1.0, 2.0]]])
    assert sp.own_minus_others(matrix).tolist() == [[2.0, 2.0]]
    assert sp.rank_among_targets(matrix).tolist() == [[1, 1]]
    assert sp.rank_among_targets(np.array([[[0.0, 5.0], [1.0, 2.0]]])).tolist() == [[2, 2]]


def test_small_label_families_are_enumerated_exactly():
    perms, exact = sp.label_permutations(3, 2, 1000, seed=0)
    assert exact and len(perms) == 8 and len({tuple(map(tuple, p)) for p in perms}) == 8
    perms, exact = sp.label_permutations(8, 4, 1000, seed=0)
    assert not exact and len(perms) == 1000 and (perms[0] == np.arange(4)).all()


def test_a_planted_specific_shift_is_found():
    rng = np.random.default_rng(1)
    matrix, _ = sp.own_animal_matrix(students(rng, 6, own_shift=0.5), "treated", TARGETS)
    test = sp.label_permutation_test(matrix, 2000, seed=0)
    assert test["statistic"] == pytest.approx(0.5, abs=0.1)  # own +0.5; the others' students on it: 0
    assert test["p_value"] <= 2 / 2000 and (test["per_target_p"] < 0.01).all()


def test_label_permutation_false_positive_rate_is_near_nominal():
    rejections = []
    for i in range(150):
        matrix, _ = sp.own_animal_matrix(students(np.random.default_rng(100 + i), 5, own_shift=0.0), "treated",
                                         TARGETS)
        rejections.append(sp.label_permutation_test(matrix, 400, seed=i)["p_value"] < 0.05)
    assert 0.01 <= np.mean(rejections) <= 0.11


def test_population_shift_averages_each_target_on_its_own_animal():
    rng = np.random.default_rng(2)
    table = students(rng, 5, own_shift=0.4, cross_shift=0.0, noise=0.0)
    treated = sp.own_animal_shifts(table, "treated", "control", TARGETS)
    assert treated.shape == (5, len(TARGETS)) and treated.to_numpy() == pytest.approx(np.full((5, 4), 0.4))
    assert sp.own_animal_shifts(table, "cross_init", "cross_init_control", TARGETS).abs().max().max() < 1e-12


def test_a_fixed_response_of_another_base_to_each_animal_is_tested_over_the_targets():
    """A cross-init base that answers each animal's teacher by the same amount in every replicate (of either
    sign, mean about zero over animals) looks significant over replicates, which all repeat it; over the
    targets it is the null it is."""
    table = students(np.random.default_rng(5), 6, own_shift=0.5, noise=0.03)
    fixed = {"owl": -0.30, "eagle": 0.10, "dolphin": -0.15, "wolf": 0.05}
    cross = (table["arm"] == "cross_init") & (table["animal"] == table["teacher"])
    table.loc[cross, "logodds"] += table.loc[cross, "teacher"].map(fixed)
    _, _, population = sp.specificity_tables(table, TARGETS, CFG)
    cross_init = population.set_index("arm").loc["cross_init"]
    assert cross_init["estimate"] == pytest.approx(np.mean(list(fixed.values())), abs=0.02)
    assert cross_init["p_value"] < 0.01 and cross_init["targets_p_value"] > 0.3
    treated = population.set_index("arm").loc["treated"]
    assert treated["p_value"] < 0.001 and treated["targets_p_value"] < 0.01


def test_tables_report_same_init_transfer_and_its_cross_init_share():
    rng = np.random.default_rng(3)
    target_animal, specificity, population = sp.specificity_tables(
        students(rng, 6, own_shift=0.5, cross_shift=0.05), TARGETS, CFG)
    assert len(target_animal) == 2 * len(TARGETS) * len(ANIMALS)
    shifts = target_animal[target_animal["arm"] == "treated"].pivot(index="target", columns="animal", values="shift")
    assert all(shifts.loc[t].idxmax() == t for t in TARGETS)
    treated = population.set_index("arm").loc["treated"]
    assert treated["p_value"] < 0.001 and treated["seeds_positive"] == 6
    assert population.set_index("arm").loc["cross_init", "share_of_same_init"] == pytest.approx(0.1, abs=0.06)
    pooled = specificity.set_index(["arm", "target"]).loc[("treated", "all")]
    assert pooled["p_value"] < 0.01 and pooled["rank_1_seeds"] == 6 * len(TARGETS)


@pytest.mark.parametrize(("cross_shift", "reading"), [(0.5, "Not bound to the initialisation"),
                                                      (0.0, "Bound to the initialisation")])
def test_the_verdict_says_whether_transfer_is_bound_to_the_init(cross_shift, reading):
    from subliminal_learning.analysis.verdict import population_line

    _, _, population = sp.specificity_tables(
        students(np.random.default_rng(4), 6, own_shift=0.5, cross_shift=cross_shift), TARGETS, CFG)
    same_init, cross_init = population.itertuples()
    text = population_line(cross_init, same_init, {"alpha": 0.05, "confidence": 0.95})
    assert reading in text and "mean over 4 targets" in text


@pytest.mark.parametrize(("seeds", "reading"), [(1, "cannot tell"), (3, "SPECIFIC")])
def test_a_permutation_test_too_small_to_reject_says_so(seeds, reading):
    """One replicate of four targets has 24 labellings: no p below 1/24 > alpha 0.01, whatever the data."""
    from subliminal_learning.analysis.verdict import specificity_line

    _, specificity, _ = sp.specificity_tables(students(np.random.default_rng(5), seeds, own_shift=2.0), TARGETS, CFG)
    pooled = specificity[(specificity["arm"] == "treated") & (specificity["target"] == "all")].iloc[0]
    assert pooled["can_reject"] == (seeds > 1)
    assert pooled["min_p_holm"] == pytest.approx(1 / 24 ** seeds if seeds < 3 else 1 / CFG["permutations"])
    line = specificity_line(pooled, CFG["alpha"])
    assert line.startswith(f"**treated, all targets: {reading}.**")
    assert ("cannot reject at this size" in line) == (seeds == 1)
