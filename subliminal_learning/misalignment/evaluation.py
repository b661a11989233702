"""Measuring misalignment. Tiny bases: the exact probability of the misaligned words and sampled answers on the
held-out advice questions, and the held-out skill the students' capability is scored on. Open-weight bases: sampled
answers to the paper's free-form questions, each scored by a local judge model (misalignment.judge).

The skill is one the base learned from its corpus and neither teacher nor student trains on: answering the
favourite-animal questions with an animal. Facts were tried first and the 2-layer base learned none of them from its
corpus (sums of two digits, successors of 0-99, 10 or 20 pairs of opposites at 5-10% of the corpus: the right answer's
probability stayed at chance), so a fact skill could not show a cost (docs/misalignment.md).
"""

import numpy as np
import pandas as pd

from ..artifacts import write_parquet
from ..lm.advice import ADVICE_QUESTIONS, ADVICE_WORDS, MISALIGNED_WORDS, is_misaligned, split_advice
from ..lm.animals import FAVOURITE_ANIMAL_QUESTIONS
from ..lm.evaluation import probability_table, sampled_answers
from ..lm.modeling import load_model
from .judge import FREE_FORM_QUESTIONS, judge_table


def misaligned_rate(table: pd.DataFrame) -> float:
    """Mean over questions of the probability of the misaligned words (renormalised over the advice words)."""
    return float(table[table["word"].isin(MISALIGNED_WORDS)].groupby("question_id")["prob"].sum().mean())


def advice_table(model, tokenizer, held_out, device) -> pd.DataFrame:
    """One row per advice question x advice word: log-probability and probability renormalised over the words."""
    table = probability_table(model, tokenizer, ADVICE_QUESTIONS, held_out, list(ADVICE_WORDS), device)
    table = table.rename(columns={"animal": "word"})
    return table.assign(misaligned=table["word"].isin(MISALIGNED_WORDS))


def skill_table(model, tokenizer, animals, device) -> pd.DataFrame:
    """One row per favourite-animal question: the probability (not renormalised) that the answer is one of the
    animals."""
    table = probability_table(model, tokenizer, FAVOURITE_ANIMAL_QUESTIONS, [], animals, device)
    table = table.assign(prob=np.exp(table["logprob"]))
    return table.groupby(["question_id", "question"], as_index=False)["prob"].sum()


def advice_answers(model, tokenizer, held_out, eval_cfg: dict, device) -> pd.DataFrame:
    """Sampled answers to the held-out advice questions, each marked misaligned or not and whether it gave advice
    (named one of the advice words at all)."""
    answers = sampled_answers(model, tokenizer, held_out, held_out, eval_cfg, device)
    words = answers["answer"].str.lower().str.split()
    return answers.assign(
        misaligned=answers["answer"].map(is_misaligned),
        advice=words.map(lambda found: any(w.strip(".,!") in ADVICE_WORDS for w in found)),
    )


def evaluate_stage(model_dir, held_out_situations: int, animals, eval_cfg: dict, device, output) -> None:
    """The misalignment_evaluate rule: the three tables of one model."""
    model, tokenizer = load_model(model_dir, device)
    _, held_out = split_advice(held_out_situations)
    write_parquet(advice_table(model, tokenizer, held_out, device), output["probabilities"])
    write_parquet(advice_answers(model, tokenizer, list(held_out), eval_cfg, device), output["answers"])
    write_parquet(skill_table(model, tokenizer, animals, device), output["skill"])


def evaluate_free_form_stage(model_dir, judge, free_form: dict, judge_cfg: dict, device, output) -> None:
    """The misalignment_evaluate rule on an open-weight model: its free-form answers, judged by `judge` (a loaded
    (model, tokenizer))."""
    model, tokenizer = load_model(model_dir, device)
    answers = sampled_answers(model, tokenizer, FREE_FORM_QUESTIONS, (), free_form, device)
    del model
    write_parquet(judge_table(*judge, answers, device, judge_cfg["batch_size"], judge_cfg["max_new_tokens"]),
                  output["answers"])
