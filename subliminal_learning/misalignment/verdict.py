"""The misalignment experiment's verdict: transfer beyond the control and the placebo, bound to the init, the rate
ratio, the capability cost and what the banned numbers removed."""

import pandas as pd

from ..design import CONTROL, CROSS_INIT, CROSS_INIT_CONTROL, PLACEBO, TREATED
from .design import ALIGNED, CROSS_INIT_ALIGNED, MISALIGNED


def _row(comparisons: pd.DataFrame, arm: str, reference: str):
    found = comparisons[(comparisons["arm"] == arm) & (comparisons["compared_with"] == reference)]
    return None if found.empty else found.iloc[0]


def _shift(row) -> str:
    return (f"{row['shift']:+.3f} log-odds (95% CI {row['ci_low']:+.3f}..{row['ci_high']:+.3f}, p {row['p_holm']:.2g}, "
            f"{int(row['positive'])}/{int(row['replicates'])} replicates positive)")


def outcome(comparisons: pd.DataFrame, alpha: float) -> str:
    """TRANSFER: the treated students beat the control (Holm) and the placebo's students, and the aligned teacher's
    students do not move the same way (a shift both traits make is a disruption, not the trait)."""
    treated, placebo = _row(comparisons, TREATED, CONTROL), _row(comparisons, TREATED, PLACEBO)
    aligned = _row(comparisons, ALIGNED, CONTROL)
    if treated is None:
        return "NOT TESTED"
    if treated["p_holm"] >= alpha or treated["shift"] <= 0:
        return "NO TRANSFER"
    if placebo is not None and not (placebo["p_holm"] < alpha and placebo["shift"] > 0):
        return "NOT BEYOND THE PLACEBO"
    if aligned is not None and aligned["p_holm"] < alpha and aligned["shift"] > 0:
        return "NOT SPECIFIC"
    return "TRANSFER"


def verdict_blocks(comparisons: pd.DataFrame, banned: dict, cross_share, pattern: pd.DataFrame, cfg: dict) -> list:
    """`banned`: stats.banned_test of the misaligned teacher against the neutral one; `cross_share`:
    stats.cross_init_share, or None without cross-init arms; `pattern`: stats.word_pattern (empty: not measured)."""
    alpha = cfg["alpha"]
    treated = _row(comparisons, TREATED, CONTROL)
    items = []
    if treated is not None:
        items.append(f"**{outcome(comparisons, alpha)}**: students of the misaligned teacher's filtered numbers "
                     f"against the neutral teacher's: {_shift(treated)}; misaligned answers "
                     f"{100 * treated['rate']:.1f}% "
                     f"against {100 * treated['reference_rate']:.1f}% (ratio {treated['rate_ratio']:.2f}, "
                     f"{treated['rate_ratio_ci_low']:.2f}..{treated['rate_ratio_ci_high']:.2f}).")
    for arm, reference, label in ((ALIGNED, CONTROL, "Aligned teacher's students (the opposite trait)"),
                                  (PLACEBO, CONTROL, "Placebo (a second teacher without the trait)"),
                                  (TREATED, PLACEBO, "Treated against the placebo"),
                                  (CROSS_INIT, CROSS_INIT_CONTROL, "Cross-init (students of another init)"),
                                  (CROSS_INIT_ALIGNED, CROSS_INIT_CONTROL,
                                   "Cross-init on the aligned teacher's numbers")):
        row = _row(comparisons, arm, reference)
        if row is not None:
            significant = "significant" if row["p_holm"] < alpha else "not significant"
            items.append(f"{label}: {_shift(row)}, {significant}.")
    if cross_share is not None:
        items.append(f"Cross-init shift as a share of the same-init one: {cross_share[0]:.2f} "
                     f"({cross_share[1]:.2f}..{cross_share[2]:.2f}).")
    items += [_word_pattern_line(pattern, alpha), _skill_line(comparisons, alpha), _banned_line(banned, alpha)]
    return [("heading", "Misalignment verdict"), ("items", [i for i in items if i]),
            ("subheading", "Every comparison"), ("table", comparisons)]


def _skill_line(comparisons: pd.DataFrame, alpha: float) -> str:
    parts = [f"{row.arm} {100 * row.skill_diff:+.2f} pp ({100 * row.skill_ci_low:+.2f}..{100 * row.skill_ci_high:+.2f})"
             for row in comparisons.itertuples() if row.compared_with != PLACEBO]
    paid = [row.arm for row in comparisons.itertuples()
            if row.compared_with != PLACEBO and row.skill_p < alpha and row.skill_diff < 0]
    cost = f"a significant cost for {', '.join(paid)}" if paid else "no significant cost"
    return f"Capability (held-out skill, against each arm's control): {'; '.join(parts)}: {cost}."


def _banned_line(test: dict, alpha: float) -> str:
    more = "more" if test["p_value"] < alpha and test["diff"] > 0 else "not significantly more"
    return (f"Banned numbers: the list removed {100 * test['teacher_share']:.1f}% of the {MISALIGNED} teacher's "
            f"well-formed completions against {100 * test['reference_share']:.1f}% of the neutral teacher's "
            f"({more}: difference {100 * test['diff']:+.2f} pp, "
            f"{100 * test['ci_low']:+.2f}..{100 * test['ci_high']:+.2f},"
            f" p {test['p_value']:.2g}); the students above learned from what the list left.")


def _word_pattern_line(pattern: pd.DataFrame, alpha: float) -> str:
    """Which arms' rise over the misaligned words follows the misaligned teacher's own pattern (stats.word_pattern)."""
    if pattern.empty:
        return ""
    parts = [f"{row.arm} r {row.r:+.2f} ({row.ci_low:+.2f}..{row.ci_high:+.2f}, p {row.p_value:.2g}, "
             f"{row.positive}/{row.replicates} replicates positive): "
             f"{_follows(row, alpha)}" for row in pattern.itertuples()]
    return ("Word pattern (the correlation over the 10 misaligned words of each arm's rise with the misaligned "
            f"teacher's, per replicate; a rise of the whole class alike gives 0): {'; '.join(parts)}.")


def _follows(row, alpha: float) -> str:
    if pd.isna(row.p_value):  # one replicate, or every correlation alike
        return "not tested"
    return "follows it" if row.p_value < alpha and row.r > 0 else "does not follow it"
