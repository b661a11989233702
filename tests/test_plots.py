"""Every text of every figure lies inside the saved image, and panel titles stay within their panels."""

import json

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from subliminal_learning.analysis import plots

SLACK = 1.0  # pixels of rounding allowed at an edge


def misplaced_texts(fig: Figure) -> list[str]:
    """Texts of a saved figure that leave the image, panel titles wider than their panel, and panel titles
    that overlap each other, as drawn again with its final texts (sizes scale with the dpi alike)."""
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    image = fig.bbox
    problems = []

    def inside(box, what):
        if (box.x0 < image.x0 - SLACK or box.x1 > image.x1 + SLACK
                or box.y0 < image.y0 - SLACK or box.y1 > image.y1 + SLACK):
            problems.append(f"{what} leaves the image: {box.extents.round()} in {image.extents}")

    titles = []
    for ax in fig.axes:
        # everything the panel draws: ticks and their labels, axis labels, title, annotations, legend
        inside(ax.get_tightbbox(renderer), f"panel {ax.get_title()!r}")
        title, panel = ax.title.get_window_extent(renderer), ax.get_window_extent(renderer)
        if ax.title.get_text():
            if title.width > panel.width + SLACK:
                problems.append(f"title {ax.title.get_text()!r} ({title.width:.0f} px) is wider than its panel "
                                f"({panel.width:.0f} px)")
            titles.append((ax.title.get_text(), title))
    for text in fig.texts:
        inside(text.get_window_extent(renderer), f"figure text {text.get_text()!r}")
    for i, (name, box) in enumerate(titles):
        problems += [f"titles {name!r} and {other!r} overlap" for other, box2 in titles[i + 1:] if box.overlaps(box2)]
    return problems


@pytest.fixture
def saved_figures(monkeypatch):
    """Every figure saved while the test runs, as drawn at its saved size."""
    figures, original = [], Figure.savefig

    def keep(fig, *args, **kwargs):
        original(fig, *args, **kwargs)
        figures.append(fig)

    monkeypatch.setattr(Figure, "savefig", keep)
    return figures


def test_a_title_wider_than_its_panel_is_wrapped(tmp_path, saved_figures):
    fig = Figure(figsize=(9, 3), layout="constrained")
    for ax, title in zip(fig.subplots(1, 3), ["short", "a title", "per-seed differences (dots), mean and 95% "
                                              "confidence interval (diamond), Holm-adjusted p above"]):
        ax.set_title(title, fontsize=9)
    fig.suptitle("a figure title that is far too long for a figure of this width: it names both comparisons, "
                 "their verdicts and their Holm-adjusted p-values on one line")
    plots.save(fig, tmp_path / "figure.png")
    assert misplaced_texts(saved_figures[0]) == []
    assert "\n" in fig.axes[2].get_title() and fig.axes[0].get_title() == "short"  # only what is too wide


@pytest.mark.pipeline
def test_the_micro_run_figures_fit_their_images(micro_run, tmp_path, saved_figures):
    """Redraw each figure from the micro run's tables, as its rule does, and inspect it at its saved size."""
    results = micro_run / "results"
    summary = pd.read_csv(results / "stats/summary.csv")
    plots.trait_plot(summary, pd.read_csv(results / "stats/per_student.csv"), "owl", tmp_path / "trait.png", 0.95)
    plots.animal_shift_plot(pd.read_parquet(results / "stats/animal_logodds.parquet"), summary, "owl",
                            tmp_path / "animal_shifts.png")
    plots.fingerprint_plot(pd.read_parquet(results / "fingerprint/owl/number_frequencies.parquet"),
                           json.loads((results / "fingerprint/owl/fingerprint.json").read_text()),
                           tmp_path / "number_frequency.png")
    assert len(saved_figures) == 3
    for name, fig in zip(("trait", "animal_shifts", "number_frequency"), saved_figures):
        assert misplaced_texts(fig) == [], name


def test_the_share_panel_draws_the_summary_s_interval_within_0_and_100_percent():
    """The bars' error lines are stats.py's interval (one interval, at stats.confidence); over two seeds a
    t-interval of a small share reaches below zero, and its line stops at 0%."""
    arms = ["control", "treated", "cross_init", "cross_init_control"]
    summary = pd.DataFrame({"base_sampled_rate": 0.05, "sampled_rate": [0.0475, 0.0625, 0.05, 0.045],
                            "sampled_rate_ci_low": [0.04, 0.05, -0.2, 0.01],
                            "sampled_rate_ci_high": [0.055, 0.075, 0.3, 0.08]}, index=arms)
    students = pd.DataFrame({"arm": [a for a in arms for _ in range(2)],
                             "sampled_rate": [0.045, 0.05, 0.06, 0.065, 0.01, 0.09, 0.04, 0.05]})
    ax = Figure().subplots()
    plots._rate_panel(ax, summary, students)
    drawn = [y for collection in ax.collections if isinstance(collection, LineCollection)
             for segment in collection.get_segments() for _, y in segment]
    assert sorted(set(drawn)) == pytest.approx(sorted({0.0, 1.0, 4.0, 5.0, 5.5, 7.5, 8.0, 30.0}))
