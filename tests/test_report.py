"""The HTML report: a dry run of a fresh checkout works, and the report always describes the whole workflow."""

import os
import shutil
import subprocess
import sys

import pytest
from snakemake.settings.types import DAGSettings

from conftest import REPO, snakemake
from subliminal_learning.report import whole_run

WHOLE = ("trait.png", "animal_shifts.png", "number_frequency.png", "run_info.yaml")  # one per category
NOT_CHECKED_OUT = shutil.ignore_patterns(".git", "results", ".snakemake", "__pycache__", "*.egg-info",
                                         ".pytest_cache", ".whl")


def test_a_dry_run_of_a_fresh_checkout_prints_the_plan(tmp_path):
    """`snakemake -n` where nothing has run yet, with the default profile, as a new user types it."""
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO, checkout, ignore=NOT_CHECKED_OUT)
    env = {**os.environ, "PYTHONPATH": str(checkout)}  # this checkout's package, as `pip install -e .` gives
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n"], cwd=checkout, env=env,
                            capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Using workflow specific profile profiles/default" in output
    assert "Job stats:" in output and "This was a dry-run" in output
    assert not (checkout / "results").exists()


@pytest.mark.parametrize(
    ("settings", "whole"),
    [
        ({}, True),
        ({"targets": {"all"}}, True),
        ({"targets": {"results/stats/summary.csv"}}, False),
        ({"targets": {"all", "results/stats/summary.csv"}}, False),
        ({"until": {"stats"}}, False),
        ({"omit_from": {"plots"}}, False),
        ({"allowed_rules": {"stats"}}, False),
    ],
    ids=["default-target", "all", "one-file", "all-and-a-file", "until", "omit-from", "allowed-rules"],
)
def test_only_a_run_of_the_whole_workflow_builds_the_report(settings, whole):
    assert whole_run(DAGSettings(**settings)) is whole


@pytest.mark.pipeline
def test_a_partial_run_leaves_the_whole_report(micro_run, tmp_path):
    workdir = tmp_path / "run"
    shutil.copytree(micro_run, workdir, symlinks=True)  # keeps times and metadata: a finished run
    report = workdir / "results/report.html"
    whole = report.read_bytes()
    assert all(name in whole.decode() for name in WHOLE)
    result = snakemake(workdir, "--cores", "2", "results/stats/summary.csv", "--forcerun", "stats")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Finished jobid" in result.stderr + result.stdout  # stats did run
    assert report.read_bytes() == whole  # before: rewritten with the Verdict entries only
