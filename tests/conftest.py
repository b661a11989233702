import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MICRO = REPO / "tests" / "configs" / "micro.yaml"


def snakemake(workdir: Path, *args: str, timeout: int = 600, configfiles=(MICRO,)) -> subprocess.CompletedProcess:
    """Run the workflow of this repository in `workdir` with the micro config (or `configfiles`)."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
               "--configfile", *map(str, configfiles), *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


def run_micro(workdir: Path) -> Path:
    result = snakemake(workdir, "--cores", "2")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir


@pytest.fixture(scope="session")
def micro_run(tmp_path_factory) -> Path:
    """A finished run of the micro config, shared by the pipeline tests."""
    return run_micro(tmp_path_factory.mktemp("micro"))
