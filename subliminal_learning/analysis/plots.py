"""Figures for the report.

Figures are drawn on a bare `matplotlib.figure.Figure`, which renders with the Agg canvas:
no pyplot, no display, no global state shared between jobs.
"""

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from ..design import (BASE, BASE_OF_ARM, CONTROL, CROSS_INIT, CROSS_INIT_BASE, CROSS_INIT_CONTROL, PLACEBO, TEACHER,
                      TREATED, is_control_arm)
from .stats import animal_shifts, seed_differences
from .verdict import outcome

TEACHER_COLOUR, CONTROL_COLOUR = "#c44e52", "#4c72b0"


def fingerprint_plot(table: pd.DataFrame, summary: dict, path: str | Path) -> None:
    """Per-number share difference teacher - control over 0-999 with the top numbers labelled (left),
    and the numbers-per-completion distributions of both sides (right)."""
    fig = Figure(figsize=(13, 4.5), layout="constrained")
    numbers_ax, lengths_ax = fig.subplots(1, 2, width_ratios=[3, 1])
    _share_differences(numbers_ax, table, summary)
    _lengths(lengths_ax, summary)
    fig.suptitle(f"Fingerprint of the {summary['target']} teacher's numbers against the {summary[CONTROL]} "
                 f"teacher's\n{_g_line(summary['g_test'])}; {_classifier_line(summary['classifier'])}", fontsize=10)
    save(fig, path)


def _share_differences(ax, table: pd.DataFrame, summary: dict) -> None:
    diff = 100 * table["share_diff"]
    ax.vlines(table["number"], 0, diff, colors=np.where(diff > 0, TEACHER_COLOUR, CONTROL_COLOUR), linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.5)
    for side, va in (("over", "bottom"), ("under", "top")):
        for row in summary["top_numbers"][side]:
            ax.annotate(str(row["number"]), (row["number"], 100 * row["share_diff"]), fontsize=7, ha="center",
                        va=va, xytext=(0, 2 if va == "bottom" else -2), textcoords="offset points")
    ax.set_xlim(-5, 1004)
    ax.set_xlabel("number")
    ax.set_ylabel("share difference, teacher − control (pp)")
    top = summary["top_numbers"]
    ax.set_title(f"per-number share difference (labelled: the {len(top['over'])} most over- and {len(top['under'])} "
                 f"most under-represented by log ratio, among numbers expected ≥ 5 times per side)", fontsize=9)


def _lengths(ax, summary: dict) -> None:
    width = 0.4
    for offset, side, colour in ((-width / 2, TEACHER, TEACHER_COLOUR), (width / 2, CONTROL, CONTROL_COLOUR)):
        stats = summary["lengths"][side]
        lengths = pd.DataFrame(stats["distribution"])
        name = summary["target"] if side == TEACHER else summary[CONTROL]
        ax.bar(lengths["length"] + offset, lengths["completions"] / lengths["completions"].sum(), width=width,
               color=colour, label=f"{name} (mean {stats['mean']:.2f})")
    ax.set_xlabel("numbers per completion")
    ax.set_ylabel("share of completions")
    ax.set_title(f"lengths (Mann–Whitney p = {summary['lengths']['mann_whitney_p']:.2g})", fontsize=9)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=2)  # below: bars fill the axes


def _g_line(g: dict) -> str:
    p = f"= {g['p_value']:.2g}" if g["p_value"] > 0 else "< 1e-300"  # 0 means below the float range
    return f"G-test: G = {g['g']:.1f}, dof {g['dof']}, p {p}"


def _classifier_line(clf: dict) -> str:
    return (f"classifier accuracy {clf['accuracy']:.3f} ({100 * clf['confidence']:.0f}% CI {clf['ci_low']:.3f}–"
            f"{clf['ci_high']:.3f}, n = {clf['test_size']}; length only {clf['length_only']['accuracy']:.3f}, "
            f"numbers only {clf['numbers_only']['accuracy']:.3f})")


ARM_ORDER = [BASE, CONTROL, PLACEBO, TREATED, CROSS_INIT_BASE, CROSS_INIT_CONTROL, CROSS_INIT]
ARM_COLOURS = {BASE: "#999999", CONTROL: CONTROL_COLOUR, PLACEBO: "#8172b2", TREATED: TEACHER_COLOUR,
               CROSS_INIT_BASE: "#cccccc", CROSS_INIT_CONTROL: "#8fa9d6", CROSS_INIT: "#e29a9c"}


def trait_plot(summary: pd.DataFrame, students: pd.DataFrame, target: str, path: str | Path,
               confidence: float) -> None:
    """The paper's figure for one target (sampled rate per arm), the log-odds of the exact probability
    per arm, and the paired per-seed log-odds differences each comparison is tested on; every interval is
    the summary's (stats.py), at the run's `stats.confidence`."""
    summary = summary[summary["target"] == target].set_index("condition")
    students = students[students["target"] == target]
    fig = Figure(figsize=(14, 4.5), layout="constrained")
    rate_ax, logodds_ax, diff_ax = fig.subplots(1, 3, width_ratios=[1.2, 1.2, 1])
    _rate_panel(rate_ax, summary, students)
    _logodds_panel(logodds_ax, summary, students)
    _difference_panel(diff_ax, summary, students)
    verdicts = "; ".join(f"{row.condition} vs {row.compared_with}: {outcome(row)} (Holm p = {row.p_holm:.2g})"
                         for row in summary.dropna(subset=["p_value"]).reset_index().itertuples())
    fig.suptitle(f"Does the student inherit the teacher's love of {target}s?  {verdicts}\n"
                 f"Mean over seeds with {100 * confidence:g}% t-interval; dots: one student each", fontsize=10)
    save(fig, path)


def save(fig: Figure, path: str | Path, dpi: int = 120) -> None:
    """Write the figure as PNG with every title fitted to its width (see `fit_titles`)."""
    FigureCanvasAgg(fig)
    fit_titles(fig, dpi)
    fig.savefig(path, format="png", dpi=dpi)


def fit_titles(fig: Figure, dpi: int = 120) -> None:
    """Break each axes title wider than its axes, and each figure text (the suptitle) wider than the
    figure, into lines.

    Constrained layout makes room for a title's height but never narrows it: a long title runs into the
    next panel or past the image's edge. Widths are measured at the resolution the figure is saved at.
    """
    fig.set_dpi(dpi)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    texts = [(ax.title, ax.get_window_extent(renderer).width) for ax in fig.axes]
    texts += [(text, 0.98 * fig.bbox.width) for text in fig.texts]
    for text, room in texts:
        lines = text.get_text().split("\n")
        chars = max(map(len, lines))
        while text.get_window_extent(renderer).width > room and chars > 10:
            chars = min(chars - 1, int(chars * room / text.get_window_extent(renderer).width))
            text.set_text("\n".join(textwrap.fill(line, chars) for line in lines))


def _arms(summary) -> list[str]:
    return [arm for arm in ARM_ORDER if arm in summary.index or _base_of(arm) in summary.index]


def _base_of(arm: str) -> str:
    """The student arm whose summary row carries a base's rates."""
    return {base: arm for arm, base in BASE_OF_ARM.items() if is_control_arm(arm)}.get(arm, "")


def _seed_points(ax, x, values, colour="black") -> None:
    ax.scatter(np.full(len(values), x) + np.linspace(-0.2, 0.2, len(values)), values, s=10, color=colour, zorder=3)


def _rate_panel(ax, summary, students) -> None:
    arms = _arms(summary)
    for x, arm in enumerate(arms):
        if _base_of(arm):
            ax.bar(x, 100 * summary.loc[_base_of(arm), "base_sampled_rate"], color=ARM_COLOURS[arm])
            continue
        row = summary.loc[arm]
        mean = 100 * row["sampled_rate"]
        # a t-interval of a small share over two seeds can leave the possible shares: drawn within 0-100%
        low, high = max(100 * row["sampled_rate_ci_low"], 0.0), min(100 * row["sampled_rate_ci_high"], 100.0)
        ax.bar(x, mean, color=ARM_COLOURS[arm], yerr=np.nan_to_num([[mean - low], [high - mean]]), capsize=4)
        _seed_points(ax, x, 100 * students.loc[students["arm"] == arm, "sampled_rate"])
    ax.set_xticks(range(len(arms)), [a.replace("_", "\n") for a in arms], fontsize=8)
    ax.set_ylabel("answers naming the target (%)")
    ax.set_title("sampled answers (the paper's measure)", fontsize=9)


def _logodds_panel(ax, summary, students) -> None:
    arms = [arm for arm in _arms(summary) if not _base_of(arm)]
    for x, arm in enumerate(arms):
        row = summary.loc[arm]
        ax.errorbar(x, row["logodds"], yerr=[[row["logodds"] - row["logodds_ci_low"]],
                                             [row["logodds_ci_high"] - row["logodds"]]],
                    fmt="o", color=ARM_COLOURS[arm], capsize=4, markersize=7)
        _seed_points(ax, x + 0.3, students.loc[students["arm"] == arm, "logodds"], ARM_COLOURS[arm])
        base_logodds = np.log(row["base_rate"] / (1 - row["base_rate"]))
        ax.hlines(base_logodds, x - 0.4, x + 0.5, colors="#777777", linestyles="dashed", linewidth=1)
    ax.set_xticks(range(len(arms)), [a.replace("_", "\n") for a in arms], fontsize=8)
    ax.set_ylabel("log-odds of the exact target probability")
    ax.set_title("exact probability (dashed: the arm's base)", fontsize=9)


def _difference_panel(ax, summary, students) -> None:
    compared = summary.dropna(subset=["p_value"])
    for x, (arm, row) in enumerate(compared.iterrows()):
        diffs = seed_differences(students, row["target"], arm, row["compared_with"])
        _seed_points(ax, x, diffs, ARM_COLOURS[arm])
        ax.errorbar(x + 0.35, row["diff_vs_control"], yerr=[[row["diff_vs_control"] - row["diff_ci_low"]],
                                                           [row["diff_ci_high"] - row["diff_vs_control"]]],
                    fmt="D", color="black", capsize=4)
    ax.axhline(0, color="black", linewidth=0.6)
    for x, row in enumerate(compared.itertuples()):
        ax.text(x + 0.1, 0.98, f"Holm p = {row.p_holm:.2g}", transform=ax.get_xaxis_transform(), fontsize=8,
                ha="center", va="top")
    ax.set_xticks(range(len(compared)), [f"{a}\n− {r}" for a, r in zip(compared.index, compared["compared_with"])],
                  fontsize=8)
    ax.set_ylabel("paired log-odds difference")
    ax.set_title("per-seed differences (dots), mean and its interval (diamond)", fontsize=9)


def animal_shift_plot(animals: pd.DataFrame, summary: pd.DataFrame, target: str, path: str | Path) -> None:
    """Every animal's mean paired shift for each comparison, largest first, the target highlighted:
    a trait that transferred moves its own animal more than the rest."""
    compared = summary[(summary["target"] == target)].dropna(subset=["p_value"])
    fig = Figure(figsize=(6 * max(1, len(compared)), 4.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(1, len(compared)), sharey=True))
    for ax, row in zip(axes, compared.itertuples()):
        shift = animal_shifts(animals, row.condition, row.compared_with, target).sort_values(ascending=False)
        colours = [TEACHER_COLOUR if animal == target else "#999999" for animal in shift.index]
        ax.bar(range(len(shift)), shift, color=colours)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(range(len(shift)), shift.index, rotation=70, fontsize=8)
        ax.set_title(f"{row.condition} − {row.compared_with}: {target} ranks {int(row.target_rank)} of "
                     f"{int(row.n_animals)}", fontsize=9)
    axes[0].set_ylabel("mean paired log-odds shift")
    save(fig, path)


def target_animal_plot(table: pd.DataFrame, specificity: pd.DataFrame, population: pd.DataFrame,
                       path: str | Path) -> None:
    """The paper's figure as a heatmap per arm: each target's students minus the control students on every
    animal (rows: targets, columns: animals). Same-init rows should light up on their own animal."""
    arms = list(dict.fromkeys(table["arm"]))
    fig = Figure(figsize=(11, 1.6 + 0.45 * table["target"].nunique() * len(arms)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(arms), 1))
    limit = float(np.nanmax(np.abs(table["shift"]))) or 1.0
    for ax, arm in zip(axes, arms):
        wide = table[table["arm"] == arm].pivot(index="target", columns="animal", values="shift")
        targets = list(dict.fromkeys(table.loc[table["arm"] == arm, "target"]))
        animals = targets + [a for a in wide.columns if a not in targets]  # own animals first: a diagonal
        wide = wide.loc[targets, animals]
        image = ax.imshow(wide.to_numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        for i in range(len(targets)):
            ax.add_patch(_outline(i))
        ax.set_yticks(range(len(targets)), [f"{t}'s students" for t in targets], fontsize=8)
        ax.set_xticks(range(len(animals)), animals, rotation=60, fontsize=8)
        ax.set_title(_heatmap_title(arm, table, specificity, population), fontsize=9, loc="left")
    fig.colorbar(image, ax=list(axes), label="log-odds shift vs control", shrink=0.8)
    save(fig, path)


def _outline(i: int):
    from matplotlib.patches import Rectangle

    return Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=1.5)


def _heatmap_title(arm: str, table: pd.DataFrame, specificity: pd.DataFrame, population: pd.DataFrame) -> str:
    reference = table.loc[table["arm"] == arm, "compared_with"].iloc[0]
    title = f"{arm} − {reference}"
    pop = population[population["arm"] == arm]
    if len(pop):
        row = pop.iloc[0]
        title += (f": mean own-animal shift {row['estimate']:+.3f} (over targets p {row['targets_p_value']:.2g}, "
                  f"over replicates p {row['p_value']:.2g})")
    pooled = specificity[(specificity["arm"] == arm) & (specificity["target"] == "all")] if len(specificity) else []
    if len(pooled):
        title += f"; own vs other targets p {pooled['p_value'].iloc[0]:.2g}"
    return title


def channels_plot(table: pd.DataFrame, path: str | Path) -> None:
    """Left: each channel's shift per target (treated - control, interval over replicates) beside its placebo's and
    cross-init shift. Right: the shift against the rows each student trained on, one line per target."""
    channels = list(dict.fromkeys(table["channel"]))
    targets = list(dict.fromkeys(table["target"]))
    fig = Figure(figsize=(12, 4.5), layout="constrained")
    shifts_ax, rows_ax = fig.subplots(1, 2, width_ratios=[2, 1])
    width = 0.8 / len(targets)
    for t, target in enumerate(targets):
        rows = table[table["target"] == target].set_index("channel").loc[channels]
        x = np.arange(len(channels)) + (t - (len(targets) - 1) / 2) * width
        colour = f"C{t}"
        shifts_ax.errorbar(x, rows["shift"], yerr=[rows["shift"] - rows["shift_ci_low"],
                                                   rows["shift_ci_high"] - rows["shift"]],
                           fmt="o", color=colour, capsize=3, label=target)
        shifts_ax.scatter(x, rows["placebo_shift"], marker="x", color="grey", zorder=3,
                          label=PLACEBO if t == 0 else None)
        shifts_ax.scatter(x, rows["cross_init_shift"], marker="v", facecolors="none", edgecolors=colour, zorder=3,
                          label=CROSS_INIT if t == 0 else None)
        rows_ax.plot(rows["rows_per_student"], rows["shift"], "o", color=colour)
    shifts_ax.axhline(0, color="black", linewidth=0.5)
    shifts_ax.set_xticks(range(len(channels)), channels)
    shifts_ax.set_ylabel("shift of the target's log-odds\n(treated - control)")
    shifts_ax.legend(fontsize=8, ncols=2)
    shifts_ax.set_title("Each channel's transfer, its placebo and its cross-init students", fontsize=10)
    for channel in channels:
        rows = table[table["channel"] == channel]
        rows_ax.annotate(channel, (rows["rows_per_student"].iloc[0], rows["shift"].max()), fontsize=8,
                         textcoords="offset points", xytext=(4, 4))
    rows_ax.set_xscale("log")
    sizes = sorted(table["rows_per_student"].unique())
    rows_ax.set_xticks(sizes, [f"{size:,}" for size in sizes])
    rows_ax.xaxis.set_minor_formatter(NullFormatter())
    rows_ax.axhline(0, color="black", linewidth=0.5)
    rows_ax.set_xlabel("rows per student")
    rows_ax.set_title("Shift against the rows trained on", fontsize=10)
    save(fig, path)
