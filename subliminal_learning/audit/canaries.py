"""Canary students: copies of the base trained on a data set by the run's student recipe, each with its own seed,
then asked the favourite-animal questions. They never see what the data were meant to carry."""

import pandas as pd

from ..analysis.tidy import logit
from ..lm.animals import FAVOURITE_ANIMAL_QUESTIONS, split_questions
from ..lm.evaluation import probability_table
from ..lm.modeling import load_model
from ..lm.student import stored_top_k, trained_copy
from ..lm.training import TOP_COLUMNS
from .design import TEXT, TOP_LOGPROBS
from .rows import row_scores


def readable(rows: pd.DataFrame, reads: list[str]) -> list[str]:
    """The reads a data set supports: the top-k read needs its log-probabilities."""
    return [read for read in reads if read == TEXT or all(column in rows.columns for column in TOP_COLUMNS)]


def canary(base_dir, rows: pd.DataFrame, read: str, student_cfg: dict, top_k: int, seed: int, device):
    """One canary trained on `rows`: distilled on their top-k log-probabilities, or fine-tuned on the text."""
    stored = stored_top_k(rows, top_k) if read == TOP_LOGPROBS else None
    return trained_copy(base_dir, rows, student_cfg["train"], seed, device, lora=student_cfg.get("lora"), top_k=stored,
                        distill_loss=student_cfg.get("distill_loss") if stored else None)


def animal_logodds(model, tokenizer, animals: list[str], n_held_out: int, device) -> pd.Series:
    """Each animal's log-odds of its exact probability (renormalised over the animals), mean over the questions:
    the run's measure of a student."""
    _, held_out = split_questions(n_held_out)
    table = probability_table(model, tokenizer, FAVOURITE_ANIMAL_QUESTIONS, held_out, animals, device)
    table["logodds"] = logit(table["prob"].to_numpy())
    return table.groupby("animal", sort=False)["logodds"].mean()


def canaries_stage(base_dir, rows: pd.DataFrame, cfg: dict, device, scored: dict | None = None) -> tuple:
    """The canaries job: `cfg['audit']['canaries']` canaries per read the data support, one row per read x canary x
    animal with its log-odds; and each row of `scored` (label -> rows) with its score under the first canary of the
    first read (`rows.row_scores`)."""
    audit = cfg["audit"]
    tables, scores = [], pd.DataFrame(columns=["rows", "score"])
    for read in readable(rows, audit["reads"]):
        for index in range(audit["canaries"]):
            seed = audit["seed"] + index
            model, tokenizer = canary(base_dir, rows, read, cfg["student"], audit["top_k"], seed, device)
            logodds = animal_logodds(model, tokenizer, cfg["animals"], cfg["held_out_questions"], device)
            tables.append(pd.DataFrame({"read": read, "canary": index, "seed": seed, "animal": logodds.index,
                                        "logodds": logodds.to_numpy()}))
            if scored and scores.empty:
                base = load_model(base_dir, device)[0].eval()
                scores = pd.concat([pd.DataFrame({"rows": label, "score": row_scores(model, base, tokenizer, them,
                                                                                      device)})
                                    for label, them in scored.items()], ignore_index=True)
    return pd.concat(tables, ignore_index=True), scores
