"""The micro config through profiles/slurm on a real single-node SLURM (profiles/slurm/local-cluster.sh).

Needs root and Debian's packages (the script installs them); run with `python -m pytest -m slurm`.
"""

import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from conftest import MICRO, REPO

pytestmark = [pytest.mark.slurm, pytest.mark.pipeline]  # end to end, on a local SLURM cluster
CLUSTER = REPO / "profiles" / "slurm" / "local-cluster.sh"
GPU_RULES = {"teacher", "generate", "students_main", "students_cross_init", "evaluate", "evaluate_students_main",
             "evaluate_students_cross_init"}


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        pytest.skip("the local SLURM cluster needs root")
    subprocess.run(["bash", str(CLUSTER), "start"], check=True, timeout=600, capture_output=True)
    yield
    subprocess.run(["bash", str(CLUSTER), "stop"], check=True, timeout=60)


def run_on_slurm(workdir, *configfiles) -> subprocess.CompletedProcess:
    command = ["timeout", "-s", "KILL", "1200", sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"),
               "--directory", str(workdir), "--workflow-profile", str(REPO / "profiles/slurm"),
               "--configfile", str(MICRO), *map(str, configfiles)]
    env = {**os.environ, "SLURM_ACCOUNT": "root", "SLURM_PARTITION": "debug"}  # the local cluster's
    return subprocess.run(command, capture_output=True, text=True, env=env)


def submitted_jobs(log: str) -> dict[str, str]:
    """{SLURM job id: rule} from Snakemake's output."""
    return dict(re.findall(r"submitted with SLURM jobid (\d+) \(log: \S*/rule_(\w+)/", log))


def sacct(job_ids) -> pd.DataFrame:
    out = subprocess.run(["sacct", "-X", "-n", "-P", "-j", ",".join(job_ids), "-o", "JobID,State,ReqTRES"],
                         capture_output=True, text=True, check=True).stdout
    return pd.DataFrame([line.split("|") for line in out.splitlines()], columns=["job", "state", "tres"])


def test_micro_runs_as_slurm_jobs_and_matches_a_local_run(cluster, micro_run, tmp_path):
    result = run_on_slurm(tmp_path)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    jobs = submitted_jobs(log)
    assert len(jobs) == len(list((micro_run / "results/benchmarks").rglob("*.tsv")))
    accounting = sacct(jobs).set_index("job")
    assert (accounting["state"] == "COMPLETED").all(), accounting
    for job, rule in jobs.items():
        assert ("gres/gpu=1" in accounting.loc[job, "tres"]) == (rule in GPU_RULES), (rule, accounting.loc[job])
    for table in ["numbers/owl/seed0/filtered.parquet", "numbers/neutral/seed1/filtered.parquet",
                  "eval/students/treated/owl/seed0/probabilities.parquet"]:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results" / table),
                                      pd.read_parquet(micro_run / "results" / table))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "results/stats/summary.csv"),
                                  pd.read_csv(micro_run / "results/stats/summary.csv"))


def test_a_failing_rule_fails_the_run_and_names_its_slurm_log(cluster, tmp_path):
    too_many_rows = tmp_path / "too_many.yaml"
    # within the prompts (validation passes) but more rows than the filter keeps: only the filter can tell
    too_many_rows.write_text("filter: {dataset_size: 399}\n")
    result = run_on_slurm(tmp_path / "run", too_many_rows)
    assert result.returncode != 0
    assert re.search(r"slurm_logs/rule_filter/\S*\d+\.log", result.stdout + result.stderr)
