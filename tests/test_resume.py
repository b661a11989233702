"""Requeue and resume: a student killed mid-training resumes from its last checkpoint."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml
from safetensors.torch import load_file

from conftest import MICRO, REPO, snakemake
from test_pipeline import planned_jobs
from subliminal_learning.lm.training import RUN_FINGERPRINT, latest_checkpoint, prepare_checkpoints

STUDENT = "results/students/treated/owl/seed0"
CHECKPOINTS = "results/checkpoints/students/treated/owl/seed0"
LOG = "results/logs/student/main/seed0.log"  # the students job of the shared base in replicate 0


def checkpoint(folder, step, complete=True):
    path = folder / f"checkpoint-{step}"
    path.mkdir(parents=True)
    if complete:
        (path / "trainer_state.json").write_text("{}")
    return path


def test_latest_complete_checkpoint_is_resumed(tmp_path):
    prepare_checkpoints(tmp_path, "run A")
    checkpoint(tmp_path, 5)
    ten = checkpoint(tmp_path, 10)
    checkpoint(tmp_path, 15, complete=False)  # killed while writing it
    assert prepare_checkpoints(tmp_path, "run A") == ten
    assert not (tmp_path / "checkpoint-15").exists()


def test_checkpoints_of_another_run_are_discarded(tmp_path):
    prepare_checkpoints(tmp_path, "run A")
    checkpoint(tmp_path, 10)
    assert prepare_checkpoints(tmp_path, "run B") is None
    assert latest_checkpoint(tmp_path) is None and (tmp_path / RUN_FINGERPRINT).read_text() == "run B"


@pytest.mark.pipeline
def test_a_killed_student_resumes_from_its_checkpoint(micro_run, tmp_path):
    """SIGKILL the run (as a preempted SLURM job) once the student has written a checkpoint; the rerun
    resumes from it, finishes (with the job's other students), deletes the checkpoints and gives the weights of
    an uninterrupted run."""
    # the students' inputs from the micro run, with Snakemake's records of them: only the students job is left
    for upstream in ("results/base/main", "results/teachers", "results/numbers", ".snakemake/metadata"):
        shutil.copytree(micro_run / upstream, tmp_path / upstream)
    override = tmp_path / "resume.yaml"  # merged over the micro config (same --configfile flag)
    # 80 rows x 10 epochs / batch 4 = 200 steps (each as 2 length-grouped micro-batches, the default's LoRA
    # students): seconds of training, long enough to kill it mid-way
    override.write_text(yaml.safe_dump({
        "conditions": ["treated", "control", "placebo"],  # no cross_init students; the same teachers
        "student": {"train": {"epochs": 10, "learning_rate": 1.0e-3, "batch_size": 4, "length_groups": 2,
                              "checkpoint_steps": 20}},
    }))
    assert planned_jobs(tmp_path, STUDENT, "--configfile", str(MICRO), str(override)) == {"students_main": 1}

    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path),
               "--configfile", str(MICRO), str(override), "--cores", "1", STUDENT]
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                           env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    deadline = time.time() + 300
    while time.time() < deadline and run.poll() is None and latest_checkpoint_or_none(tmp_path / CHECKPOINTS) is None:
        time.sleep(0.05)
    assert run.poll() is None, "the student finished before it could be killed"
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    assert not (tmp_path / STUDENT).exists()
    killed_at = latest_checkpoint(tmp_path / CHECKPOINTS).name

    assert snakemake(tmp_path, str(override), "--unlock").returncode == 0
    started = time.time()
    rerun = snakemake(tmp_path, str(override), "--cores", "1", STUDENT)
    resumed_in = time.time() - started
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    log = (tmp_path / LOG).read_text()
    assert f"resuming from {killed_at}" in log
    assert not (tmp_path / CHECKPOINTS).exists()
    resumed = load_file(tmp_path / STUDENT / "model.safetensors")

    started = time.time()
    again = snakemake(tmp_path, str(override), "--forcerun", "students_main", "--cores", "1", STUDENT)
    uninterrupted_in = time.time() - started
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resuming" not in (tmp_path / LOG).read_text()
    uninterrupted = load_file(tmp_path / STUDENT / "model.safetensors")
    assert resumed.keys() == uninterrupted.keys()
    for name in resumed:
        assert (resumed[name] == uninterrupted[name]).all(), f"{name} differs after resuming"
    print(f"killed at {killed_at}; resumed run {resumed_in:.1f} s, uninterrupted run {uninterrupted_in:.1f} s")


def latest_checkpoint_or_none(folder):
    return latest_checkpoint(folder) if folder.is_dir() else None
