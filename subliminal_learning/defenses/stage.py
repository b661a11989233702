"""The defenses' stats stage: reading the defended students' scores and every cost file back by their paths."""

import re
from pathlib import Path

import pandas as pd

from ..artifacts import read_json
from ..design import RESULTS
from .design import GENERATION, ROOT, point_of
from .rows import row_cost
from .stats import costs_table, defense_of, generation_cost, paired_shifts

NUMBERS_PATH = re.compile(rf"(?:{ROOT}/(?P<defense>[a-z0-9_]+)/)?numbers/(?P<teacher>[a-z]+)/seed(?P<seed>\d+)/"
                          r"(?P<name>[^/]+)$")


def parse_numbers(path) -> tuple[str | None, str, int, str]:
    """(defense or None for the run's own, teacher, replicate, file name) of a numbers file."""
    match = NUMBERS_PATH.search(str(path))
    if match is None:
        raise ValueError(f"not a numbers file: {path}")
    return match["defense"], match["teacher"], int(match["seed"]), match["name"]


def defended_shifts(students: pd.DataFrame) -> dict:
    """defense -> `stats.paired_shifts` of its students (per-student scores of every defense's students)."""
    students = students.assign(defense=students["model"].map(defense_of))
    return {defense: paired_shifts(group) for defense, group in students.groupby("defense", sort=False)}


def costs_stage(specs: dict, paths: list, model_dirs: list) -> pd.DataFrame:
    """The costs table from numbers files: each rows defense's rows beside the run's kept rows, each generation
    defense's answers and filter report beside the run's; and from the training records of the students of defenses
    on the teacher's outputs."""
    files = {parse_numbers(path): path for path in paths}
    costs = {}
    for (defense, teacher, seed, name), path in files.items():
        if defense is None:
            continue
        if point_of(specs[defense]) == GENERATION and name == "filter_report.json":
            costs.setdefault(defense, []).append(generation_cost(
                pd.read_parquet(files[(None, teacher, seed, "raw.parquet")]), pd.read_parquet(
                    files[(defense, teacher, seed, "raw.parquet")]),
                read_json(files[(None, teacher, seed, "filter_report.json")]), read_json(path)))
        elif name == "rows.parquet":
            costs.setdefault(defense, []).append(row_cost(
                pd.read_parquet(files[(None, teacher, seed, "filtered.parquet")]), pd.read_parquet(path)))
    changes = {}
    for model in model_dirs:
        record = read_json(Path(model) / "training.json")
        changes.setdefault(defense_of(str(model).removeprefix(f"{RESULTS}/")), []).append(record["target_change"])
    return costs_table(costs, changes)
