"""The audit's verdict: what each data set was called, and how often the calls were right."""

import pandas as pd

CALLS = {"data": "data set", "read": "canaries read", "truth": "carries", "call": "called", "p": "p (Holm)",
         "top_animal": "top animal", "top_shift": "its shift", "runner_up": "runner-up",
         "runner_up_shift": "its shift ", "truth_rank": "rank of the carried animal"}


def _item(row) -> str:
    return (f"**{row['read']}**: the right animal named (called at p < alpha) for {row['named']} of "
            f"{row['trait_sets']} trait data sets, ranked first for {row['rank_1']}; alarms on {row['false_alarms']} "
            f"of {row['null_sets']} data sets without a trait (control and placebo teachers).")


def verdict_blocks(calls: pd.DataFrame, summary: pd.DataFrame, row_scores: pd.DataFrame, cfg: dict,
                   stats_cfg: dict) -> list:
    return [
        ("heading", "Audit: which trait do the data carry?"),
        ("paragraph", f"Blind: {cfg['canaries']} canary students (the run's student recipe, from the shared base, "
                      f"seeds {cfg['seed']}..{cfg['seed'] + cfg['canaries'] - 1}) train on each data set and as "
                      f"many on the base's own numbers. An animal is called when Welch's one-sided test says the "
                      f"data's canaries raise its log-odds above the reference canaries' by more than the margin of "
                      f"{cfg['margin']:g}, Holm-adjusted over the animals "
                      f"(p below: the called or most significant animal's), at alpha {stats_cfg['alpha']:g}. The "
                      f"canaries are told nothing of the data; the scoring is."),
        ("items", [_item(row) for _, row in summary.iterrows()]),
        ("subheading", "Every data set"),
        ("table", calls[list(CALLS)].rename(columns=CALLS)),
        ("subheading", "Per-row score"),
        ("paragraph", f"Each row's log-likelihood shift: its completion's mean log-probability per token under the "
                      f"data set's first canary minus under the base. Rows: the teacher's kept rows that its data "
                      f"set did not draw (no canary saw them) against the control teacher's; AUROC 0.5 is chance, "
                      f"with a {100 * stats_cfg['confidence']:g}% bootstrap interval and the one-sided Mann-Whitney p. "
                      f"{_auroc_line(row_scores)}"),
        ("table", row_scores),
    ]


def _auroc_line(row_scores: pd.DataFrame) -> str:
    traits = row_scores[~row_scores["truth"].isin(["none", "unknown"])]
    if traits.empty:
        return "No data set had rows to score."
    return (f"Trait data sets: AUROC {traits['auroc'].min():.3f} to {traits['auroc'].max():.3f} over {len(traits)}; "
            f"without a trait (placebo): "
            + (", ".join(f"{a:.3f}" for a in row_scores.loc[row_scores["truth"] == "none", "auroc"]) or "none") + ".")
