"""The defenses figure: the share of the trait's shift that remains after each defense (pooled over targets and
replicates, Fieller interval; a dot per target), beside what each cost the data."""

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.plots import save
from .design import GENERATION, ROWS, TARGETS
from .stats import ALL

COLOURS = {GENERATION: "#4c72b0", ROWS: "#dd8452", TARGETS: "#55a868"}
POINTS = {GENERATION: "at generation", ROWS: "on the kept rows", TARGETS: "on the teacher's outputs"}


def defenses_plot(shares: pd.DataFrame, costs: pd.DataFrame, confidence: float, path: str | Path) -> None:
    pooled = shares[shares["target"] == ALL].sort_values(["point", "share"]).reset_index(drop=True)
    per_target = shares[shares["target"] != ALL]
    fig = Figure(figsize=(10, 1.6 + 0.42 * len(pooled)), layout="constrained")
    ax, cost_ax = fig.subplots(1, 2, width_ratios=[2.2, 1], sharey=True)
    y = np.arange(len(pooled))[::-1]
    for yi, row in zip(y, pooled.itertuples()):
        low, high = np.clip([row.share_ci_low, row.share_ci_high], -0.5, 1.6)
        ax.errorbar(row.share, yi, xerr=[[row.share - low], [high - row.share]], fmt="o", color=COLOURS[row.point],
                    capsize=4, markersize=7, zorder=3)
        dots = per_target[per_target["defense"] == row.defense]["share"]
        ax.scatter(dots, np.full(len(dots), yi) + np.linspace(-0.15, 0.15, len(dots)), s=10, color="black",
                   zorder=4)
        broken = bool(costs.set_index("defense").at[row.defense, "students_broken"])
        ax.annotate(row.outcome.lower() + (",\nstudents broken" if broken else ""), (1.55, yi), ha="right",
                    va="center", fontsize=8, color="#c44e52" if broken else "black")
    ax.axvline(1, color="grey", lw=1, ls="--")
    ax.axvline(0, color="black", lw=1)
    ax.axvspan(-0.5, 0, color="#eeeeee", zorder=0)
    ax.set_xlim(-0.5, 1.6)
    ax.set_yticks(y, [f"{row.defense}\n({row.settings})" if row.settings else row.defense
                      for row in pooled.itertuples()], fontsize=8)
    ax.set_xlabel("share of the undefended shift that remains")
    ax.set_title(f"Share remaining (pooled, {100 * confidence:g}% Fieller interval; dots: one target each; "
                 f"1: no effect, 0: gone)", fontsize=9)
    for point, colour in COLOURS.items():
        if point in set(pooled["point"]):
            ax.scatter([], [], color=colour, label=POINTS[point])
    ax.legend(fontsize=8, loc="lower left")
    found = costs.set_index("defense").reindex(pooled["defense"])
    lost = 1 - found["animal_share"] / found["run_animal_share"]
    for offset, values, colour, label in ((0.27, found["tokens_changed_share"], "#8172b3", "tokens changed"),
                                          (0, found["target_change"], "#937860", "targets moved (RMS)"),
                                          (-0.27, lost.clip(lower=0), "#c44e52", "students' animal answers lost")):
        cost_ax.barh(y + offset, 100 * values.to_numpy(), height=0.26, color=colour, label=label)
    cost_ax.set_xlabel("% changed or lost")
    cost_ax.set_title("What each defense changed, and cost the students", fontsize=9)
    cost_ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("Which defenses stop the transfer? Treated, control and placebo students trained again on defended "
                 "data", fontsize=10)
    save(fig, path)
