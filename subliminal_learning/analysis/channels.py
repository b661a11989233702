"""The channel comparison: each channel's students against the run's own (by default the teacher's logits), per target.

Every channel trains the same arms on the same teachers, replicate for replicate, so a channel's shift (treated -
control, per replicate) pairs with the run's students' shift of the same replicate and target; the share of the
run's shift a channel carries is their ratio, with Fieller's interval over the paired replicates.
"""

RUN = "run"

import pandas as pd

from ..design import CONTROL, CROSS_INIT, TREATED
from .inference import ratio_interval
from .stats import seed_differences
from .verdict import outcome


def channel_rows(channel: str, summary: pd.DataFrame, students: pd.DataFrame, specificity: pd.DataFrame,
                 run_students: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """One row per target: the channel's shift with its interval and Holm p, its rank among the animals, the placebo's
    shift, the cross-init shift, specificity, and its share of the run's students' shift."""
    rows = []
    for row in summary[summary["condition"] == TREATED].itertuples():
        cross = summary[(summary["condition"] == CROSS_INIT) & (summary["target"] == row.target)]
        own = specificity[(specificity["arm"] == TREATED) & (specificity["target"] == row.target)]
        shares = pd.concat([seed_differences(students, row.target, TREATED, CONTROL).rename("channel"),
                            seed_differences(run_students, row.target, TREATED, CONTROL).rename(RUN)],
                           axis=1).dropna()
        share, share_low, share_high = ratio_interval(shares["channel"], shares[RUN], confidence)
        rows.append({
            "channel": channel, "target": row.target, "rows_per_student": row.rows_per_student,
            "shift": row.diff_vs_control, "shift_ci_low": row.diff_ci_low, "shift_ci_high": row.diff_ci_high,
            "p_holm": row.p_holm, "seeds_positive": row.seeds_positive, "seeds_paired": row.seeds_paired,
            "target_rank": row.target_rank, "n_animals": row.n_animals,
            "placebo_shift": getattr(row, "placebo_shift", float("nan")),
            "vs_placebo_p_holm": getattr(row, "vs_placebo_p_holm", float("nan")),
            "exceeds_placebo": getattr(row, "exceeds_placebo", float("nan")),
            "specific_p_holm": own["p_holm"].iloc[0] if len(own) else float("nan"),
            "cross_init_shift": cross["diff_vs_control"].iloc[0] if len(cross) else float("nan"),
            "cross_init_p_holm": cross["p_holm"].iloc[0] if len(cross) else float("nan"),
            "share_of_run": share, "share_ci_low": share_low, "share_ci_high": share_high,
            "outcome": outcome(row),
        })
    return pd.DataFrame(rows)


def comparison_table(channels: dict, confidence: float) -> pd.DataFrame:
    """`channels`: name -> (summary, per-student table, specificity table), the run's own first."""
    run_students = next(iter(channels.values()))[1]
    return pd.concat([channel_rows(name, summary, students, specificity, run_students, confidence)
                      for name, (summary, students, specificity) in channels.items()], ignore_index=True)


def verdict_lines(table: pd.DataFrame, descriptions: dict, alpha: float) -> list[str]:
    """One line per channel: how many targets transfer, the range of shifts, and the share of the run's (the first
    channel's)."""
    lines = []
    for index, (channel, rows) in enumerate(table.groupby("channel", sort=False)):
        transfers = int((rows["outcome"] == "TRANSFER").sum())
        share = "" if index == 0 else (
            f"; share of the {table['channel'].iloc[0]} shift " + ", ".join(
                f"{r.target} {r.share_of_run:.2f} ({r.share_ci_low:.2f}..{r.share_ci_high:.2f})"
                for r in rows.itertuples()))
        cross = rows["cross_init_shift"].dropna()
        cross_text = (f"; cross-init {cross.min():+.3f}..{cross.max():+.3f}, significant for "
                      f"{int((rows['cross_init_p_holm'] < alpha).sum())}") if len(cross) else ""
        lines.append(
            f"**{channel}** ({descriptions[channel]}, {int(rows['rows_per_student'].iloc[0])} rows per student): "
            f"TRANSFER for {transfers} of {len(rows)} targets, shift {rows['shift'].min():+.3f}.."
            f"{rows['shift'].max():+.3f} log-odds (Holm p {rows['p_holm'].max():.2g} at most), rank 1 for "
            f"{int((rows['target_rank'] == 1).sum())}, placebo {rows['placebo_shift'].min():+.3f}.."
            f"{rows['placebo_shift'].max():+.3f}{cross_text}{share}"
        )
    return lines
