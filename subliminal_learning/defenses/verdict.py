"""The defenses' verdict: per defense, the share of the transfer that remains, whether it is reduced or removed, and
what the defense cost the data."""

import pandas as pd

from .stats import ALL, BROKEN

TABLE = {"defense": "defense", "point": "acts", "settings": "settings", "share": "share remaining",
         "share_ci_low": "CI low", "share_ci_high": "CI high", "defended": "defended shift",
         "undefended": "undefended shift", "floor": "placebo floor", "p_no_reduction_holm": "p (no reduction, Holm)",
         "p_removed_holm": "p (removed, Holm)", "tokens_changed_share": "tokens changed",
         "target_change": "targets moved", "animal_share": "answers naming an animal",
         "students_broken": "students broken", "outcome": "outcome"}


def _item(row) -> str:
    cost = []
    if row["tokens_changed_share"] or row["point"] != "targets":
        cost.append(f"{100 * row['tokens_changed_share']:.1f}% of tokens changed")
    if row["rows_lost_share"]:
        lost = row["rows_lost_share"]
        if row["point"] == "rows":  # the detector's flagged rows, replaced by unseen ones
            cost.append(f"{100 * lost:.1f}% of the rows replaced by rows of the same teacher")
        else:
            cost.append(f"its filter kept {100 * abs(lost):.1f}% {'fewer' if lost > 0 else 'more'} rows than the run's")
    if row["alternate_positions_per_row"]:
        cost.append(f"{row['alternate_positions_per_row']:.2f} positions per row take the base's outputs")
    if row["target_change"]:
        cost.append(f"targets moved by {100 * row['target_change']:.0f}% of their size (RMS)")
    cost.append(f"its students name an animal in {100 * row['animal_share']:.0f}% of their answers (the run's "
                f"{100 * row['run_animal_share']:.0f}%)")
    broken = ", **BY BREAKING THE STUDENTS**" if row["students_broken"] else ""
    settings = f", {row['settings']}" if row["settings"] else ""
    return (f"**{row['outcome']}**{broken} {row['defense']} ({row['point']}{settings}): {row['share']:.2f} of the shift remains "
            f"(CI {row['share_ci_low']:.2f}..{row['share_ci_high']:.2f}); defended {row['defended']:+.3f} against "
            f"{row['undefended']:+.3f} log-odds (Holm p {row['p_no_reduction_holm']:.2g}), {row['beyond_floor']:+.3f} "
            f"beyond the placebo's floor (Holm p {row['p_removed_holm']:.2g}); cost: "
            f"{'; '.join(cost) or 'none measured'}.")


def verdict_blocks(shares: pd.DataFrame, costs: pd.DataFrame, channel: str, cfg: dict, skipped: dict) -> list:
    pooled = shares[shares["target"] == ALL].merge(costs, on="defense", how="left").sort_values("share")
    per_target = shares[shares["target"] != ALL]
    units = int(pooled["units"].max()) if len(pooled) else 0
    return [
        ("heading", "Defenses: what remains of the transfer"),
        ("paragraph", f"Students {channel}. Each defense trains the treated, control and placebo students again on "
                      f"defended data (every arm alike). Share remaining: the defended shift (treated minus control "
                      f"log-odds of the target) over the undefended one, over {units} target x replicate pairs, with "
                      f"Fieller's {100 * cfg['confidence']:g}% interval. Removes: the interval holds 0 and stays "
                      f"below 0.5, nothing significant beyond the placebo's floor; reduces: the paired test of "
                      f"\"no reduction\" rejects (Holm over the defenses, alpha {cfg['alpha']:g}). A defense whose "
                      f"students name an animal in under {BROKEN:g} times as many answers as the run's breaks them: "
                      f"what it removes is the students' answers, not the trait alone."),
        ("items", [_item(row) for _, row in pooled.iterrows()]
                  + [f"**NOT MEASURED** {name}: {why}." for name, why in skipped.items()]),
        ("subheading", "Every defense"),
        ("table", pooled[list(TABLE)].rename(columns=TABLE)),
        ("subheading", "Per target"),
        ("table", per_target[["defense", "target", "units", "undefended", "defended", "floor", "share",
                              "share_ci_low", "share_ci_high", "p_no_reduction"]]),
    ]
