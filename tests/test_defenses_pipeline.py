"""The defenses target end to end at micro size: the run's treated, control and placebo students trained again on
data each kind of defense transformed at its own point, from the run's own artifacts, and the verdict."""

import json

import pandas as pd
import pytest
import yaml

from conftest import MICRO, REPO
from test_pipeline import SEEDS, TARGETS, named_target_run, planned_jobs

pytestmark = pytest.mark.pipeline

DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())
DEFENSES = {
    **dict.fromkeys(DEFAULT["defenses"]["transformations"]),  # config.yaml's, left out
    "nucleus": {"kind": "top_p", "p": 0.9},
    "swap": {"kind": "dilution", "share": 0.25},
    "diverge": {"kind": "divergence"},
    "flag": {"kind": "detector", "share": 0.25},
    "jitter": {"kind": "noise", "sd": 0.5},
}
RUN_DEFENSES = [name for name, spec in DEFENSES.items() if spec is not None]
ARMS = [("treated", t) for t in TARGETS] + [("control", "neutral"), ("placebo", "placebo")]
TAKEN = sorted({teacher for _, teacher in ARMS})


@pytest.fixture(scope="module")
def defenses_run(micro_run, tmp_path_factory):
    section = {"defenses": {"seed": 0, "replicates": None, "transformations": DEFENSES}}
    return named_target_run(micro_run, tmp_path_factory, "defenses", section)


def test_defenses_reuse_the_run_and_act_at_their_own_point(defenses_run):
    _, jobs = defenses_run
    assert not {"base", "teacher", "generate", "filter", "students_main", "stats"} & set(jobs)
    assert jobs["defense_generate"] == len(SEEDS)  # nucleus: every teacher of a replicate in one job
    assert jobs["defense_filter"] == len(SEEDS) * len(TAKEN)
    assert jobs["defense_rows"] == 3 * len(SEEDS)  # swap, diverge and flag
    assert jobs["defense_students"] == jobs["evaluate_defense_students"] == len(RUN_DEFENSES) * len(SEEDS)
    assert jobs["defenses_stats"] == 1


def test_each_defense_s_students_read_its_rows(defenses_run):
    workdir, _ = defenses_run
    results = workdir / "results"
    for seed in SEEDS:
        for teacher in TAKEN:
            run = pd.read_parquet(results / f"numbers/{teacher}/seed{seed}/filtered.parquet")
            swapped = pd.read_parquet(results / f"defenses/swap/numbers/{teacher}/seed{seed}/rows.parquet")
            assert swapped["alternate_row"].sum() == round(0.25 * len(run))
            kept = ~swapped["alternate_row"]
            assert swapped[kept]["completion"].tolist() == run[kept.to_numpy()]["completion"].tolist()
            diverged = pd.read_parquet(results / f"defenses/diverge/numbers/{teacher}/seed{seed}/rows.parquet")
            assert diverged["prompt"].tolist() == run["prompt"].tolist()
            assert diverged["alternate_positions"].map(len).sum() > 0
            flagged = pd.read_parquet(results / f"defenses/flag/numbers/{teacher}/seed{seed}/rows.parquet")
            replaced = flagged["replaced_row"].to_numpy()
            assert replaced.sum() == round(0.25 * len(run)) and len(flagged) == len(run)
            assert not flagged[replaced]["prompt_id"].isin(run["prompt_id"]).any()  # rows the data set did not draw
            assert (flagged["detector_score"][replaced].min() >= flagged["detector_score"][~replaced].max())
            nucleus = pd.read_parquet(results / f"defenses/nucleus/numbers/{teacher}/seed{seed}/filtered.parquet")
            assert len(nucleus) == len(run)
        for condition, teacher in ARMS:
            record = json.loads((results / f"defenses/jitter/students/{condition}/{teacher}/seed{seed}/training.json")
                                .read_text())
            assert record["objective"] == "distill" and record["target_change"] > 0


def test_the_verdict_has_a_share_per_defense_and_target(defenses_run):
    workdir, _ = defenses_run
    shares = pd.read_csv(workdir / "results/defenses/shares.csv")
    assert set(shares["defense"]) == set(RUN_DEFENSES)
    assert set(shares["target"]) == {*TARGETS, "all"}
    pooled = shares[shares["target"] == "all"].set_index("defense")
    assert (pooled["units"] == len(TARGETS) * len(SEEDS)).all()
    assert pooled["outcome"].isin(["REMOVES", "REDUCES", "INCREASES", "NO SIGNIFICANT CHANGE"]).all()
    costs = pd.read_csv(workdir / "results/defenses/costs.csv").set_index("defense")
    assert costs.loc["swap", "alternate_rows_share"] == pytest.approx(0.25, abs=0.01)
    assert costs.loc["jitter", "target_change"] > 0 and costs.loc["nucleus", "tokens_changed_share"] > 0
    verdict = (workdir / "results/defenses/verdict.md").read_text()
    assert all(f" {name} (" in verdict for name in RUN_DEFENSES)
    assert (workdir / "results/plots/defenses.png").stat().st_size > 10_000


def test_the_run_itself_is_untouched(defenses_run):
    workdir, _ = defenses_run
    assert planned_jobs(workdir, "--configfile", str(MICRO), str(workdir / "defenses.yaml")) == {}
