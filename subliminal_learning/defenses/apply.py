"""The rows defenses' stage: every teacher's kept rows of one replicate, transformed (what it cost the data is measured
by the defenses' stats, `stage.costs_stage`)."""

import logging

import pandas as pd

from ..artifacts import write_parquet
from ..lm.filtering import held_out_rows
from ..replicates import replicate_seed
from .rows import dilute, reformat, shuffle


def defend_rows(spec: dict, rows: pd.DataFrame, seed: int, *, other: pd.DataFrame | None = None,
                teacher=None, base=None, device=None, spare: pd.DataFrame | None = None,
                student_cfg: dict | None = None) -> pd.DataFrame:
    """One teacher's rows through a rows defense (`other`: the control teacher's rows; `spare`: this teacher's kept
    rows that the data set did not draw)."""
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
    if kind == "detector":
        from .detector import cross_fitted_scores, replace_flagged
        scores = cross_fitted_scores(rows, base, teacher, student_cfg, seed, device)
        return replace_flagged(rows, spare, scores, spec["share"], seed)
    raise ValueError(f"{kind!r} is not a defense on the kept rows")


def rows_stage(spec: dict, rows_paths: list, seed: int, replicate: int, output, *, other_path=None,
               teacher_dirs=None, base_dir=None, device=None, raw_paths=None, filtering: tuple | None = None,
               student_cfg: dict | None = None) -> None:
    """Every teacher's rows of one replicate through the defense; `raw_paths` and `filtering` (the run's filter and
    prompt settings) give the detector each teacher's spare kept rows."""
    other = pd.read_parquet(other_path) if other_path else None
    teacher_dirs = teacher_dirs or [None] * len(rows_paths)
    raw_paths = raw_paths or [None] * len(rows_paths)
    jobs = zip(rows_paths, teacher_dirs, raw_paths, output.rows, strict=True)
    for index, (path, teacher, raw, rows_out) in enumerate(jobs):
        rows = pd.read_parquet(path)
        spare = held_out_rows(pd.read_parquet(raw), rows, *filtering) if raw else None
        defended = defend_rows(spec, rows, replicate_seed(seed, replicate) + index, other=other, teacher=teacher,
                               base=base_dir, device=device, spare=spare, student_cfg=student_cfg)
        write_parquet(defended, rows_out)
