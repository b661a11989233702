"""The rows defenses' stage: every teacher's kept rows of one replicate, transformed (what it cost the data is measured
by the defenses' stats, `stage.costs_stage`)."""

import logging

import pandas as pd

from ..artifacts import write_parquet
from ..replicates import replicate_seed
from .rows import dilute, reformat, shuffle


def defend_rows(spec: dict, rows: pd.DataFrame, seed: int, *, other: pd.DataFrame | None = None,
                teacher=None, base=None, device=None) -> pd.DataFrame:
    """One teacher's rows through a rows defense."""
    kind = spec["kind"]
    if kind == "reformat":
        return reformat(rows)
    if kind == "shuffle":
        return shuffle(rows, seed)
    if kind == "dilution":
        return dilute(rows, other, spec["share"], seed)
    if kind == "divergence":
        from .divergence import divergence  # torch and the models: only this defense needs them
        defended, counts = divergence(rows, teacher, base, device)
        logging.info("divergence: %s", counts)
        return defended
    raise ValueError(f"{kind!r} is not a defense on the kept rows")


def rows_stage(spec: dict, rows_paths: list, seed: int, replicate: int, output, *, other_path=None,
               teacher_dirs=None, base_dir=None, device=None) -> None:
    other = pd.read_parquet(other_path) if other_path else None
    teacher_dirs = teacher_dirs or [None] * len(rows_paths)
    for index, (path, teacher, rows_out) in enumerate(zip(rows_paths, teacher_dirs, output.rows, strict=True)):
        defended = defend_rows(spec, pd.read_parquet(path), replicate_seed(seed, replicate) + index, other=other,
                               teacher=teacher, base=base_dir, device=device)
        write_parquet(defended, rows_out)
