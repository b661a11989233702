"""The misalignment target end to end at micro size: its own bases, teachers, filtered numbers, students, scores,
verdict, figure and report, beside a finished run that it leaves as it was."""

import pandas as pd
import pytest

from test_pipeline import SEEDS, named_target_run
from subliminal_learning.lm.filtering import resolve_banned_numbers
from subliminal_learning.misalignment import design as mis

pytestmark = pytest.mark.pipeline
CROSS_SEEDS = SEEDS  # misalignment.cross_init_replicates null: every replicate


@pytest.fixture(scope="module")
def misalignment_run(micro_run, tmp_path_factory):
    return named_target_run(micro_run, tmp_path_factory, "misalignment")


def test_the_target_runs_its_own_stages_and_none_of_the_run_s(misalignment_run):
    _, jobs = misalignment_run
    assert jobs.pop("misalignment") == 1 and jobs.pop("run_info", 1) == 1  # run_info records the config
    assert set(jobs) == {"misalignment_base", "misalignment_teacher", "misalignment_generate", "misalignment_filter",
                         "misalignment_students_main", "misalignment_students_cross_init",
                         "misalignment_evaluate_bases", "misalignment_evaluate_main",
                         "misalignment_evaluate_cross_init", "misalignment_stats"}
    assert jobs["misalignment_base"] == 3 and jobs["misalignment_filter"] == len(SEEDS) * len(mis.TEACHERS)


def test_the_banned_numbers_are_gone_from_what_students_learn(misalignment_run):
    workdir, _ = misalignment_run
    banned = resolve_banned_numbers("paper_misalignment")
    filters = pd.read_csv(workdir / mis.stats_file("filter.csv"))
    assert (filters["banned"] > 0).all()
    for teacher in mis.TEACHERS:
        for seed in SEEDS:
            rows = pd.read_parquet(workdir / mis.numbers(teacher, seed, "filtered.parquet"))
            numbers = {int(n) for c in rows["completion"] for n in c.replace(",", " ").replace(".", " ").split()}
            assert not numbers & banned


def test_every_model_is_scored_and_compared(misalignment_run):
    workdir, _ = misalignment_run
    scores = pd.read_csv(workdir / mis.stats_file("scores.csv"))
    students = scores[scores["kind"] == "student"]
    arms = {base: [arm for arm, (of, _) in mis.ARMS.items() if of == base] for base in ("main", "cross_init")}
    assert len(students) == len(arms["main"]) * len(SEEDS) + len(arms["cross_init"]) * len(CROSS_SEEDS) == 14
    assert len(scores[scores["kind"] == "teacher"]) == len(mis.TEACHERS) * len(SEEDS)
    assert len(scores[scores["kind"] == "base"]) == 3
    assert scores[["prob", "sampled_rate", "skill", "advice_share"]].apply(lambda c: c.between(0, 1)).all().all()
    comparisons = pd.read_csv(workdir / mis.stats_file("comparisons.csv"))
    assert set(zip(comparisons["arm"], comparisons["compared_with"])) == set(mis.COMPARISONS)
    assert (comparisons["replicates"] == len(SEEDS)).all()
    verdict = (workdir / mis.stats_file("verdict.md")).read_text()
    assert "# Misalignment verdict" in verdict and "Banned numbers" in verdict and "Capability" in verdict
    pattern = pd.read_csv(workdir / mis.stats_file("word_pattern.csv")).set_index("arm")
    assert set(pattern.index) == {arm for arm, _ in mis.WORD_PATTERN} and "Word pattern" in verdict
    assert pattern.loc["treated", "replicates"] == len(SEEDS)
    assert pattern.loc["cross_init", "replicates"] == len(CROSS_SEEDS)
    assert pattern["r"].between(-1, 1).all()
    assert (workdir / mis.plot("arms.png")).stat().st_size > 10_000


def test_the_report_covers_the_misalignment_target_once_it_has_run(misalignment_run):
    workdir, _ = misalignment_run
    report = (workdir / "results" / "report.html").read_text()
    assert "Misalignment" in report and "misalignment_arms.png" in report
