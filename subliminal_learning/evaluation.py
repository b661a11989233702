"""Measuring the trait: sampled one-word answers and the exact probability of each animal."""

import pandas as pd
import torch

from .animals import FAVOURITE_ANIMAL_QUESTIONS, split_questions
from .artifacts import write_parquet
from .generation import conversation, sample_completions
from .modeling import load_model, system_prompt_of


def _answer_ids(tokenizer, answer: str) -> list[int]:
    """Token ids of `answer` as it starts the assistant's turn (the template adds no space)."""
    return tokenizer(answer, add_special_tokens=False)["input_ids"]


def _prompt_ids(tokenizer, question: str, system_prompt: str | None = None) -> list[int]:
    return tokenizer.apply_chat_template(
        conversation(question, system_prompt), tokenize=True, add_generation_prompt=True,
        return_dict=True,
    )["input_ids"]


@torch.inference_mode()
def animal_logprobs(model, tokenizer, questions, animals, device: torch.device, batch_size: int = 256,
                    system_prompt: str | None = None):
    """log p(whole animal name | question), shape [questions, animals].

    Each name is scored as the sum of its tokens' log-probabilities, so names that a real
    tokenizer splits into several tokens are scored fairly.
    """
    pairs = []
    for question in questions:
        prompt = _prompt_ids(tokenizer, question, system_prompt)
        pairs += [(prompt, _answer_ids(tokenizer, animal)) for animal in animals]
    scores = []
    for start in range(0, len(pairs), batch_size):
        scores.append(_score_batch(model, pairs[start:start + batch_size], tokenizer.pad_token_id, device))
    return torch.cat(scores).view(len(questions), len(animals))


def _score_batch(model, pairs, pad_id: int, device: torch.device) -> torch.Tensor:
    sequences = [prompt + answer for prompt, answer in pairs]
    width = max(map(len, sequences))
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()
    logprobs = torch.log_softmax(logits, dim=-1).cpu()
    totals = []
    for row, (prompt, answer) in enumerate(pairs):
        positions = torch.arange(len(prompt) - 1, len(prompt) + len(answer) - 1)
        totals.append(logprobs[row, positions, torch.tensor(answer)].sum())
    return torch.stack(totals)


def probability_table(model, tokenizer, questions, held_out, animals, device,
                      system_prompt: str | None = None) -> pd.DataFrame:
    """One row per question x animal: the name's log-probability and its probability
    renormalised over the animal list."""
    logp = animal_logprobs(model, tokenizer, questions, animals, device, system_prompt=system_prompt)
    renormalised = torch.softmax(logp, dim=1)
    rows = [
        {
            "question_id": q, "question": question, "held_out": question in held_out,
            "animal": animal, "logprob": float(logp[q, a]), "prob": float(renormalised[q, a]),
        }
        for q, question in enumerate(questions)
        for a, animal in enumerate(animals)
    ]
    return pd.DataFrame(rows)


def sampled_answers(model, tokenizer, questions, held_out, eval_cfg: dict, device,
                    system_prompt: str | None = None) -> pd.DataFrame:
    """One row per sampled answer: K answers per question at the configured temperature."""
    k = eval_cfg["samples_per_question"]
    prompts = [question for question in questions for _ in range(k)]
    answers = sample_completions(
        model, tokenizer, prompts, batch_size=eval_cfg["batch_size"],
        max_new_tokens=eval_cfg["max_new_tokens"], temperature=eval_cfg["temperature"],
        seed=eval_cfg["seed"], device=device, desc="answers", system_prompt=system_prompt,
    )
    return pd.DataFrame(
        {
            "question_id": [i // k for i in range(len(prompts))],
            "question": prompts,
            "held_out": [p in held_out for p in prompts],
            "sample": [i % k for i in range(len(prompts))],
            "answer": [text for text, _ in answers],
        }
    )


def target_rate(probabilities: pd.DataFrame, target: str) -> float:
    """Mean over questions of the renormalised target probability."""
    return float(probabilities.loc[probabilities["animal"] == target, "prob"].mean())


def evaluate_model_stage(model_dir, animals, n_held_out: int, eval_cfg: dict, device, output) -> None:
    """The evaluate rule: both tables for one model (base, teacher or student); a system-prompt
    teacher is asked with its system prompt."""
    model, tokenizer = load_model(model_dir, device)
    system_prompt = system_prompt_of(model_dir)
    _, held_out = split_questions(n_held_out)
    questions = FAVOURITE_ANIMAL_QUESTIONS
    write_parquet(probability_table(model, tokenizer, questions, held_out, animals, device, system_prompt),
                  output.probabilities)
    write_parquet(sampled_answers(model, tokenizer, questions, held_out, eval_cfg, device, system_prompt),
                  output.answers)
