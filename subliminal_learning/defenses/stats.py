"""What remains of the transfer after each defense, with intervals from the paired replicates.

The unit is one target in one replicate: the trait's shift there is the treated student's log-odds of the target minus
the control student's, undefended (the run's own students) and defended (the defense's students, whose control and
placebo teachers' data were defended alike). The share remaining is the mean defended shift over the mean undefended
one, with Fieller's interval (`analysis.inference.ratio_interval`); "no reduction" is the paired t-test of defended
minus undefended shifts; the placebo's defended shift (the placebo student's log-odds of the target minus the
control's) is the floor a defense that removed the trait would leave, and "fully removed" is the paired t-test of
defended minus floor. Holm adjusts each test over the defenses (pooled rows).
"""

import numpy as np
import pandas as pd

from ..analysis.inference import holm, paired_t, ratio_interval
from ..design import CONTROL, PLACEBO, TREATED
from .design import ROOT, point_of
from .rows import tokens_changed

ALL = "all"  # the pooled row: every target and replicate
KEY = ["target", "seed"]


def defense_of(model: str) -> str:
    """defenses/dilution/students/treated/owl/seed3 -> dilution."""
    return model.removeprefix(f"{ROOT}/").split("/")[0]


def paired_shifts(students: pd.DataFrame) -> pd.DataFrame:
    """Per target and replicate, from per-student log-odds (`analysis.tidy.per_student`): `shift` (treated minus
    control) and `floor` (placebo minus control; NaN without placebo students)."""
    by_arm = {arm: students[students["arm"] == arm].set_index(KEY)["logodds"] for arm in (TREATED, CONTROL, PLACEBO)}
    shift = (by_arm[TREATED] - by_arm[CONTROL]).dropna().rename("shift")
    floor = (by_arm[PLACEBO] - by_arm[CONTROL]).rename("floor")
    return pd.concat([shift, floor.reindex(shift.index)], axis=1).reset_index()


def share_row(undefended: pd.DataFrame, defended: pd.DataFrame, confidence: float) -> dict:
    """The comparison of one defense on one set of units (both tables from `paired_shifts`, matched on KEY)."""
    both = undefended.merge(defended, on=KEY, suffixes=("_undefended", ""))
    if both.empty:
        raise ValueError("the defended and the undefended students share no target and replicate")
    share, low, high = ratio_interval(both["shift"], both["shift_undefended"], confidence)
    reduction = paired_t(both["shift"] - both["shift_undefended"], confidence)
    beyond = paired_t(both["shift"] - both["floor"], confidence)
    return {"units": len(both), "undefended": both["shift_undefended"].mean(), "defended": both["shift"].mean(),
            "floor": both["floor"].mean(), "share": share, "share_ci_low": low, "share_ci_high": high,
            "change": reduction["estimate"], "change_ci_low": reduction["ci_low"],
            "change_ci_high": reduction["ci_high"], "p_no_reduction": reduction["p_value"],
            "beyond_floor": beyond["estimate"], "beyond_floor_ci_low": beyond["ci_low"],
            "beyond_floor_ci_high": beyond["ci_high"], "p_removed": beyond["p_value"]}


def outcome(row, alpha: float) -> str:
    """REMOVES: the share's interval holds 0 and stays below 0.5 and nothing significant remains beyond the placebo's
    floor; REDUCES: "no reduction" rejected (Holm) with a smaller shift; INCREASES: rejected with a larger one;
    NO SIGNIFICANT CHANGE otherwise."""
    removed = row["share_ci_low"] <= 0 <= row["share_ci_high"] < 0.5
    if removed and not (row["p_removed_holm"] < alpha and row["beyond_floor"] > 0):
        return "REMOVES"
    if row["p_no_reduction_holm"] < alpha:
        return "REDUCES" if row["change"] < 0 else "INCREASES"
    return "NO SIGNIFICANT CHANGE"


def shares_table(undefended: pd.DataFrame, defended: dict, specs: dict, cfg: dict) -> pd.DataFrame:
    """One row per defense and target, and a pooled row per defense (target `all`) with Holm-adjusted p-values over
    the defenses and its outcome. `undefended`: `paired_shifts` of the run's students; `defended`: defense ->
    `paired_shifts` of its students."""
    rows = []
    for defense, shifts in defended.items():
        spec = specs[defense]
        settings = ", ".join(f"{k} {v}" for k, v in spec.items() if k != "kind")
        labels = {"defense": defense, "point": point_of(spec), "kind": spec["kind"], "settings": settings}
        for target, group in shifts.groupby("target", sort=False):
            rows.append({**labels, "target": target, **share_row(undefended, group, cfg["confidence"])})
        rows.append({**labels, "target": ALL, **share_row(undefended, shifts, cfg["confidence"])})
    table = pd.DataFrame(rows)
    pooled = table["target"] == ALL
    for test in ("p_no_reduction", "p_removed"):
        table[f"{test}_holm"] = np.nan
        table.loc[pooled, f"{test}_holm"] = holm(table.loc[pooled, test].fillna(1.0).to_numpy())
    table["outcome"] = ""
    table.loc[pooled, "outcome"] = [outcome(row, cfg["alpha"]) for _, row in table[pooled].iterrows()]
    return table


def generation_cost(run_raw: pd.DataFrame, defended_raw: pd.DataFrame, run_report: dict, report: dict) -> dict:
    """What regenerating with a truncated sampler changed: tokens against the run's answers to the same prompts, and
    the rows its filter keeps fewer (or more) than the run's."""
    both = run_raw.merge(defended_raw, on="prompt_id", suffixes=("_run", ""))
    changed, total = tokens_changed(both["completion_run"].fillna(""), both["completion"].fillna(""))
    return {"rows": run_report["kept"], "rows_lost": run_report["kept"] - report["kept"], "tokens_changed": changed,
            "tokens": total, "alternate_rows": 0, "alternate_positions": 0}


BROKEN = 0.5  # students that name an animal in under half as many answers as the run's are broken, not defended


def animal_answers(run: pd.DataFrame, defended: pd.DataFrame) -> pd.DataFrame:
    """Per defense: the share of its students' sampled answers that name an animal, the run's same students' share
    (the same arms, teachers and replicates) and whether the defense broke them (`BROKEN`). `run`, `defended`:
    per-student scores (`analysis.tidy.per_student`)."""
    students = defended.drop_duplicates("model")
    students = students.assign(defense=students["model"].map(defense_of),
                               run_model=students["model"].map(lambda model: model.split("/", 2)[2]))
    own = run.drop_duplicates("model").set_index("model")["animal_share"]
    table = students.assign(run_animal_share=students["run_model"].map(own)).groupby("defense", sort=False)[
        ["animal_share", "run_animal_share"]].mean().reset_index()
    return table.assign(students_broken=table["animal_share"] < BROKEN * table["run_animal_share"])


def costs_table(costs: dict, target_changes: dict) -> pd.DataFrame:
    """Per defense: tokens changed, rows lost, rows and positions whose targets an alternate model gives (summed over
    its teachers and replicates) and the targets' change (the RMS change of the centred targets relative to their
    RMS, mean over its students)."""
    rows = []
    for defense in sorted(set(costs) | set(target_changes)):
        found = costs.get(defense, [])
        tokens = sum(c["tokens"] for c in found)
        rows_total = sum(c["rows"] for c in found)
        changes = target_changes.get(defense, [])
        rows.append({
            "defense": defense,
            "tokens_changed_share": sum(c["tokens_changed"] for c in found) / tokens if tokens else 0.0,
            "rows_lost_share": sum(c["rows_lost"] for c in found) / rows_total if rows_total else 0.0,
            "alternate_rows_share": sum(c["alternate_rows"] for c in found) / rows_total if rows_total else 0.0,
            "alternate_positions_per_row": (sum(c["alternate_positions"] for c in found) / rows_total
                                            if rows_total else 0.0),
            "target_change": float(np.mean(changes)) if changes else 0.0,
        })
    return pd.DataFrame(rows)
