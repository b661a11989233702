"""The evaluation outputs of every model as tidy tables, the unit of every statistic.

Each model's tables are read once. A model serves the targets it can speak to: students and
teachers of a target serve that target; bases, control teachers and control students serve all.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..design import Model, parse_model
from ..lm.animals import mentions


def logit(p):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p) - np.log1p(-p)


@dataclass
class Tidy:
    answers: pd.DataFrame        # one row per sampled answer and target it is scored for
    probabilities: pd.DataFrame  # one row per model x question x target: the exact target probability
    animals: pd.DataFrame        # one row per model x animal: mean log-odds over questions (all animals)


def _labels(model: Model, target: str) -> dict:
    return {"model": model.name, "arm": model.arm, "teacher": model.teacher,
            "seed": model.seed if model.seed is not None else pd.NA, "target": target}


def model_tables(probabilities_path: str, targets: list[str]) -> Tidy:
    """The three tidy tables of one model (reads its two evaluation tables once)."""
    model = parse_model(probabilities_path)
    probs = pd.read_parquet(probabilities_path)
    answers = pd.read_parquet(Path(probabilities_path).with_name("answers.parquet"))
    probs = probs.assign(logodds=logit(probs["prob"].to_numpy()))
    animals_asked = list(probs["animal"].unique())
    named_animal = answers["answer"].map(lambda a: any(mentions(a, animal) for animal in animals_asked))
    answer_rows, prob_rows = [], []
    for target in model.targets(targets):
        labels = _labels(model, target)
        answer_rows.append(answers[["question_id", "held_out", "sample", "answer"]].assign(
            **labels, hit=answers["answer"].map(lambda a, t=target: mentions(a, t)), named_animal=named_animal))
        mine = probs[probs["animal"] == target]
        prob_rows.append(mine[["question_id", "held_out", "prob", "logodds"]].assign(**labels))
    animals = probs.groupby("animal", sort=False)["logodds"].mean().reset_index()
    labels = _labels(model, "")
    animals = animals.assign(**{k: v for k, v in labels.items() if k != "target"})
    return Tidy(pd.concat(answer_rows), pd.concat(prob_rows), animals)


COLUMNS = ["model", "arm", "teacher", "seed", "target"]


def tidy_tables(probabilities_paths, targets: list[str]) -> Tidy:
    """Every model's tables stacked, label columns first, seeds as a nullable integer."""
    parts = [model_tables(path, targets) for path in probabilities_paths]
    tables = []
    for name in ("answers", "probabilities", "animals"):
        frame = pd.concat([getattr(part, name) for part in parts], ignore_index=True)
        frame["seed"] = frame["seed"].astype("Int64")
        labels = [c for c in COLUMNS if c in frame.columns]
        tables.append(frame[labels + [c for c in frame.columns if c not in labels]])
    return Tidy(*tables)


def per_student(tidy: Tidy) -> pd.DataFrame:
    """One row per student x target: mean exact probability and log-odds over questions, sampled rate
    (mean over questions of the share of answers naming the target, the paper's estimate)."""
    students = tidy.probabilities.dropna(subset=["seed"])
    exact = students.groupby(COLUMNS, sort=False)[["prob", "logodds"]].mean()
    hits = tidy.answers.dropna(subset=["seed"])
    sampled = hits.groupby(COLUMNS + ["question_id"], sort=False)["hit"].mean().groupby(COLUMNS, sort=False).mean()
    counts = hits.groupby(COLUMNS, sort=False).agg(hits=("hit", "sum"), answers=("hit", "size"),
                                                   animal_share=("named_animal", "mean"))
    return exact.join(sampled.rename("sampled_rate")).join(counts).reset_index()


def reference_scores(tidy: Tidy) -> pd.DataFrame:
    """Bases and teachers: one row per model x target with the same measures as students."""
    refs = tidy.probabilities[tidy.probabilities["seed"].isna()]
    exact = refs.groupby(["model", "arm", "target"], sort=False)[["prob", "logodds"]].mean()
    hits = tidy.answers[tidy.answers["seed"].isna()]
    rate = hits.groupby(["model", "arm", "target"], sort=False).agg(
        hits=("hit", "sum"), answers=("hit", "size"), animal_share=("named_animal", "mean"))
    return exact.join(rate).assign(sampled_rate=lambda t: t["hits"] / t["answers"]).reset_index()
