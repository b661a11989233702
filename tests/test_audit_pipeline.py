"""The audit target end to end at micro size: the base's own reference numbers, the teachers' top-k, canaries on
every data set and on a user's file, the calls, verdict and figure, beside a finished run it leaves as it was."""

import pandas as pd
import pytest

from conftest import MICRO
from test_pipeline import SEEDS, TARGETS, named_target_run, planned_jobs

pytestmark = pytest.mark.pipeline

TEACHERS = TARGETS + ["neutral", "placebo"]
USER_FILE = "results/numbers/owl/seed0/filtered.parquet"  # text only: no log-probabilities
AUDIT = {"audit": {"replicates": 1, "canaries": 2, "top_k": 4, "margin": 0.0, "reads": ["top_logprobs", "text"],
                   "files": {"bought": USER_FILE}, "seed": 3}}


@pytest.fixture(scope="module")
def audit_run(micro_run, tmp_path_factory):
    return named_target_run(micro_run, tmp_path_factory, "audit", AUDIT)


def test_the_audit_reuses_the_run_and_trains_canaries_per_data_set(audit_run):
    _, jobs = audit_run
    assert not {"base", "teacher", "generate", "filter", "students_main", "stats"} & set(jobs)
    assert jobs["audit_reference_generate"] == jobs["audit_reference_filter"] == 1
    assert jobs["audit_logprobs"] == len(TEACHERS) + 1  # each teacher's rows and the reference's
    assert jobs["audit_canaries"] == len(TEACHERS) + 2  # and the user's file
    assert jobs["audit_stats"] == 1


def test_canaries_know_nothing_of_the_data_and_read_what_each_file_supports(audit_run):
    workdir, _ = audit_run
    results = workdir / "results/audit"
    owl = pd.read_parquet(results / f"canaries/owl/seed{SEEDS[0]}/logodds.parquet")
    assert set(owl["read"]) == {"top_logprobs", "text"} and sorted(owl["seed"].unique()) == [3, 4]
    assert set(owl.columns) == {"read", "canary", "seed", "animal", "logodds"}
    bought = pd.read_parquet(results / "canaries/files/bought/logodds.parquet")
    assert set(bought["read"]) == {"text"}
    rows = pd.read_parquet(results / f"data/owl/seed{SEEDS[0]}/top_logprobs.parquet")
    assert rows["top_ids"].map(lambda ids: all(len(step) == 4 for step in ids)).all()


def test_every_data_set_gets_a_call_scored_against_what_it_carries(audit_run):
    workdir, _ = audit_run
    calls = pd.read_csv(workdir / "results/audit/calls.csv")
    truths = dict(zip(calls["data"], calls["truth"]))
    assert truths == {**{f"{t}/seed{SEEDS[0]}": t for t in TARGETS}, f"neutral/seed{SEEDS[0]}": "none",
                      f"placebo/seed{SEEDS[0]}": "none", "files/bought": "unknown"}
    assert len(calls) == 2 * len(TEACHERS) + 1
    assert calls["p"].between(0, 1).all()
    called = calls["call"] != "none"
    assert (calls.loc[called, "p"] < 0.05).all() and (calls.loc[~called, "p"] >= 0.05).all()
    known = calls["truth"] != "unknown"
    assert (calls.loc[known, "correct"] == (calls.loc[known, "call"] == calls.loc[known, "truth"])).all()
    verdict = (workdir / "results/audit/verdict.md").read_text()
    assert "**top_logprobs**" in verdict and "**text**" in verdict and "Per-row score" in verdict
    assert (workdir / "results/plots/audit.png").stat().st_size > 10_000


def test_the_per_row_score_separates_a_teacher_s_held_out_rows_from_the_control_s_or_not(audit_run):
    workdir, _ = audit_run
    scores = pd.read_csv(workdir / "results/audit/row_scores.csv").set_index("data")
    assert set(scores.index) == {f"{t}/seed{SEEDS[0]}" for t in TARGETS + ["placebo"]}  # not the control's own
    assert scores["auroc"].between(0, 1).all()
    assert (scores["auroc_ci_low"] <= scores["auroc"]).all() and (scores["auroc"] <= scores["auroc_ci_high"]).all()
    assert (scores["positives"] > 0).all() and (scores["negatives"] > 0).all()
    owl = pd.read_parquet(workdir / f"results/audit/canaries/owl/seed{SEEDS[0]}/row_scores.parquet")
    assert set(owl["rows"]) == {"own", "control"}
    assert pd.read_parquet(workdir / "results/audit/canaries/files/bought/row_scores.parquet").empty


def test_the_run_itself_is_untouched(audit_run):
    workdir, _ = audit_run
    assert planned_jobs(workdir, "--configfile", str(MICRO), str(workdir / "audit.yaml")) == {}
