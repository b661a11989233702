"""Figures of the MNIST experiment, on a bare matplotlib Figure (Agg, no pyplot) like plots.py."""

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

ARM_COLOURS = {"reference": "#999999", "teacher": "#222222", "student_aux": "#c44e52",
               "cross_init_aux": "#4c72b0", "student_all": "#e29a9c", "cross_init_all": "#8fa9d6"}


def sweep_plot(accuracy: pd.DataFrame, summary: pd.DataFrame, chance: float, path: str | Path) -> None:
    """Held-out accuracy of every arm against m: mean over seeds with its 95% t-interval, one dot per seed."""
    ms = sorted(summary["m"].unique())
    arms = [arm for arm in ARM_COLOURS if arm in set(summary["arm"])]
    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / len(arms)
    for i, arm in enumerate(arms):
        offset = (i - (len(arms) - 1) / 2) * width
        rows = summary[summary["arm"] == arm].set_index("m").reindex(ms)
        x = np.arange(len(ms)) + offset
        ax.errorbar(x, rows["mean"], yerr=[rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]],
                    fmt="o-", color=ARM_COLOURS[arm], capsize=3, markersize=5, label=arm, linewidth=1)
        for j, m in enumerate(ms):
            seeds = accuracy[(accuracy["arm"] == arm) & (accuracy["m"] == m)]["accuracy"]
            ax.scatter(np.full(len(seeds), x[j]) + np.linspace(-width / 3, width / 3, len(seeds)), seeds,
                       s=7, color=ARM_COLOURS[arm], alpha=0.5, zorder=3)
    ax.axhline(chance, color="black", linestyle="dashed", linewidth=0.8)
    ax.text(-0.48, chance, f"chance {chance:g}", va="top", ha="left", fontsize=8)
    ax.set_xticks(range(len(ms)), [f"m = {m}" for m in ms])
    ax.set_xlim(-0.5, len(ms) - 0.5)
    ax.set_ylim(0, 1)
    ax.set_xlabel("auxiliary logits the student imitates")
    ax.set_ylabel("held-out digit accuracy")
    ax.set_title("Students never see a digit: accuracy after imitating the teacher's outputs on noise\n"
                 "mean over seeds with 95% t-interval; dots: one model each", fontsize=10)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.savefig(path, format="png", dpi=120)


def theorem_plot(draws: pd.DataFrame, path: str | Path) -> None:
    """Per draw: the inner product of the student's and the teacher's step (left) and the change of the
    student's class loss (right), shared init against a different init."""
    fig = Figure(figsize=(11, 4), layout="constrained")
    dot_ax, loss_ax = fig.subplots(1, 2)
    kinds = list(dict.fromkeys(draws["init"]))
    colours = {"shared": "#c44e52", "different": "#4c72b0"}
    loss_change = draws["class_loss_after"] - draws["class_loss_before"]
    panels = ((dot_ax, "⟨student step, teacher step⟩", draws["inner_product"], "positive", "> 0"),
              (loss_ax, "student's class-loss change", loss_change, "class_loss_down", "< 0"))
    for ax, label, values, share_column, sign in panels:
        for x, kind in enumerate(kinds):
            rows = draws["init"] == kind
            ax.scatter(x + np.linspace(-0.25, 0.25, rows.sum()), values[rows], s=6, color=colours.get(kind, "grey"))
        shares = [draws.loc[draws["init"] == kind, share_column].mean() for kind in kinds]
        ax.set_xticks(range(len(kinds)), [f"{kind} init\n{share:.0%} of draws {sign}" for kind, share in
                                          zip(kinds, shares)])
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylabel(label)
        # symmetric log: the shared init's values are orders of magnitude apart from the different init's
        ax.set_yscale("symlog", linthresh=max(1e-12, float(np.percentile(np.abs(values), 10))))
    dot_ax.set_title("inner product of the student's and the teacher's step", fontsize=9)
    loss_ax.set_title("the student's class loss after − before its step", fontsize=9)
    fig.savefig(path, format="png", dpi=120)
