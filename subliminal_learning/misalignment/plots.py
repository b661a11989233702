"""The misalignment figure, in the style of the paper's: the misaligned share of sampled answers per arm, the paired
log-odds shift of each comparison, the held-out skill per arm, and which misaligned words rose against the teacher's
own pattern."""

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.inference import t_interval, wilson_interval
from ..analysis.plots import save
from ..design import CONTROL, CROSS_INIT, CROSS_INIT_CONTROL, NEUTRAL, PLACEBO, TREATED
from .design import ALIGNED, ARMS, CROSS_INIT_ALIGNED, MISALIGNED
from .stats import word_shifts

COLOURS = {TREATED: "#c44e52", ALIGNED: "#55a868", CONTROL: "#4c72b0", PLACEBO: "#8c8c8c", CROSS_INIT: "#dd8452",
           CROSS_INIT_ALIGNED: "#8fbf88", CROSS_INIT_CONTROL: "#64b5cd"}


def _arms(students: pd.DataFrame) -> list[str]:
    return [arm for arm in ARMS if arm in set(students["name"])]


def _labels(ax, names) -> None:
    ax.set_xticks(range(len(names)), [n.replace("_", "\n") for n in names], fontsize=8)


def _rates(ax, students: pd.DataFrame, confidence: float) -> None:
    arms = _arms(students)
    for x, arm in enumerate(arms):
        rows = students[students["name"] == arm]
        rate, low, high = (100 * v for v in wilson_interval(int(rows["misaligned_answers"].sum()),
                                                            int(rows["answers"].sum()), confidence))
        ax.bar(x, rate, color=COLOURS[arm], yerr=[[rate - low], [high - rate]], capsize=4)
        ax.scatter(x + np.linspace(-0.2, 0.2, len(rows)), 100 * rows["sampled_rate"], s=10, color="black", zorder=3)
    _labels(ax, arms)
    ax.set_ylabel("misaligned answers (%)")
    ax.set_title("sampled advice on held-out questions (pooled, Wilson interval; dots: students)", fontsize=9)


def _shifts(ax, students: pd.DataFrame, comparisons: pd.DataFrame) -> None:
    for x, row in enumerate(comparisons.itertuples()):
        wide = students.pivot(index="seed", columns="name", values="logodds")[[row.arm, row.compared_with]].dropna()
        diffs = wide[row.arm] - wide[row.compared_with]
        ax.scatter(x + np.linspace(-0.2, 0.0, len(diffs)), diffs, s=10, color=COLOURS[row.arm], zorder=3)
        ax.errorbar(x + 0.2, row.shift, yerr=[[row.shift - row.ci_low], [row.ci_high - row.shift]], fmt="D",
                    color="black", capsize=4)
        ax.text(x, 0.98 - 0.05 * (x % 2), f"p {row.p_holm:.2g}", transform=ax.get_xaxis_transform(), fontsize=7,
                ha="center", va="top")
    ax.axhline(0, color="black", linewidth=0.6)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.15 * (high - low))  # room for the p values above the points
    ax.set_xticks(range(len(comparisons)), [_short(a) + "\n− " + _short(r) for a, r in
                                            zip(comparisons["arm"], comparisons["compared_with"])], fontsize=7)
    ax.set_ylabel("paired log-odds difference")
    ax.set_title("shift of the misaligned words' exact probability (dots: replicates; Holm p; xi: other init)",
                 fontsize=9)


def _short(arm: str) -> str:
    """Tick labels that fit: the other inits' arms as xi."""
    return arm.replace(CROSS_INIT, "xi").replace("_", " ")


def _skill(ax, scores: pd.DataFrame, confidence: float) -> None:
    students = scores[scores["kind"] == "student"]
    arms = _arms(students)
    for x, arm in enumerate(arms):
        values = 100 * students.loc[students["name"] == arm, "skill"]
        mean, low, high = t_interval(values, confidence)
        ax.errorbar(x, mean, yerr=np.nan_to_num([[mean - low], [high - mean]]), fmt="o", color=COLOURS[arm],
                    capsize=4)
    bases = scores[scores["kind"] == "base"]
    ax.axhline(100 * bases["skill"].iloc[0], color="#777777", linestyle="dashed", linewidth=1)
    _labels(ax, arms)
    ax.set_ylabel("answers naming an animal (exact probability, %)")
    ax.set_title("held-out skill: the favourite-animal questions (dashed: the shared base)", fontsize=9)


def _word_pattern(ax, words: pd.DataFrame, pattern: pd.DataFrame) -> None:
    teacher = word_shifts(words, "teacher", MISALIGNED, NEUTRAL).mean()
    for row in pattern.itertuples():
        shifts = word_shifts(words, "student", row.arm, row.compared_with).mean()[teacher.index]
        label = (f"{_short(row.arm)} − {_short(row.compared_with)}: "
                 f"r {row.r:+.2f} ({row.ci_low:+.2f}..{row.ci_high:+.2f})")
        ax.scatter(teacher, shifts, s=18, color=COLOURS[row.arm], label=label)
        if row.arm == TREATED:
            for word, x, y in zip(teacher.index, teacher, shifts):
                ax.annotate(word, (x, y), fontsize=6, xytext=(2, 2), textcoords="offset points")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("misaligned teacher − neutral teacher (log-probability of the word)")
    ax.set_ylabel("students − their control (log-probability)")
    ax.legend(fontsize=7, loc="best", title="r over the words, per replicate (mean)", title_fontsize=7)
    ax.set_title("which misaligned words rose: students against the teacher's own pattern", fontsize=9)


def misalignment_plot(scores: pd.DataFrame, comparisons: pd.DataFrame, words: pd.DataFrame, pattern: pd.DataFrame,
                      confidence: float, path: str | Path) -> None:
    """`words`, `pattern`: stats.word_table and stats.word_pattern (empty on an open-weight base: three panels)."""
    students = scores[scores["kind"] == "student"]
    fig = Figure(figsize=(13, 8.4) if not pattern.empty else (13, 4.2), layout="constrained")
    axes = fig.subplots(2, 2).ravel() if not pattern.empty else fig.subplots(1, 3)
    _rates(axes[0], students, confidence)
    _shifts(axes[1], students, comparisons)
    _skill(axes[2], scores, confidence)
    if not pattern.empty:
        _word_pattern(axes[3], words, pattern)
    fig.suptitle("Misalignment through filtered numbers: students of the misaligned teacher against their controls")
    save(fig, path)
