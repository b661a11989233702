"""The GPU path: the micro config on cuda (bf16) reaches the CPU run's verdict. Skipped without CUDA."""

import pandas as pd
import pytest
import torch
import yaml

from conftest import MICRO, snakemake

pytestmark = [pytest.mark.pipeline,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def test_cuda_gives_the_cpu_verdict(micro_run, tmp_path):
    cuda = tmp_path / "cuda.yaml"
    cuda.write_text(yaml.safe_dump({"device": "cuda"}))
    result = snakemake(tmp_path, "--cores", "2", "--configfile", str(MICRO), str(cuda))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    columns = ["target", "condition", "significant"]
    on_gpu = pd.read_csv(tmp_path / "results/stats/summary.csv").dropna(subset=["p_value"])[columns]
    on_cpu = pd.read_csv(micro_run / "results/stats/summary.csv").dropna(subset=["p_value"])[columns]
    pd.testing.assert_frame_equal(on_gpu.reset_index(drop=True), on_cpu.reset_index(drop=True))
