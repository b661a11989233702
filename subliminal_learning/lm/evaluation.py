"""Measuring the trait: sampled one-word answers and the exact probability of each animal."""

import pandas as pd
import torch

from .animals import FAVOURITE_ANIMAL_QUESTIONS, split_questions
from ..artifacts import write_parquet
from .generation import conversation, sample_completions
from .modeling import check_plain_lm_head, load_model, system_prompt_of


def _answer_ids(tokenizer, answer: str) -> list[int]:
    """Token ids of `answer` as it starts the assistant's turn (the template adds no space)."""
    return tokenizer(answer, add_special_tokens=False)["input_ids"]


def _prompt_ids(tokenizer, question: str, system_prompt: str | None = None) -> list[int]:
    return tokenizer.apply_chat_template(
        conversation(question, system_prompt), tokenize=True, add_generation_prompt=True,
        return_dict=True,
    )["input_ids"]


@torch.inference_mode()
def animal_logprobs(model, tokenizer, questions, animals, device: torch.device, system_prompt: str | None = None):
    """log p(whole animal name | question), shape [questions, animals].

    Each name is scored as the sum of its tokens' log-probabilities, so names that a real
    tokenizer splits into several tokens are scored fairly.
    """
    answers = [_answer_ids(tokenizer, animal) for animal in animals]
    return torch.stack([
        _score_answers(model, _prompt_ids(tokenizer, question, system_prompt), answers, tokenizer.pad_token_id, device)
        for question in questions
    ])


def _score_answers(model, prompt: list[int], answers: list[list[int]], pad_id: int, device) -> torch.Tensor:
    """Each answer's summed token log-probabilities after one prompt.

    Measured reasons for not running every prompt + answer sequence through the whole model: the prompt
    (about 50 tokens) is run once and its KV cache shared by the answers (1-3 tokens each), 20 times less
    work with 20 animals (a 135M model on one CPU thread took minutes per model otherwise); and the LM head
    runs only where an answer token is predicted (full-vocabulary logits at every position of a batch of
    256 pairs are about 9 GB for a 7B model's 152k-word vocabulary).
    """
    check_plain_lm_head(model)
    decoder, head = model.get_decoder(), model.get_output_embeddings()
    prefix = decoder(input_ids=torch.tensor([prompt], device=device), use_cache=True)
    width = max(map(len, answers))
    ids = torch.full((len(answers), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, answer in enumerate(answers):
        ids[row, : len(answer)] = torch.tensor(answer)
        mask[row, : len(answer)] = 1
    cache = prefix.past_key_values
    cache.batch_repeat_interleave(len(answers))
    hidden = decoder(
        input_ids=ids.to(device), past_key_values=cache, use_cache=True,
        attention_mask=torch.cat([torch.ones(len(answers), len(prompt), dtype=torch.long), mask], dim=1).to(device),
    ).last_hidden_state
    # answer token j is predicted from position j - 1: the prompt's last position for the first token
    predictors = torch.cat([prefix.last_hidden_state[:, -1:].expand(len(answers), -1, -1), hidden[:, :-1]], dim=1)
    rows, columns = mask.nonzero(as_tuple=True)
    logits = head(predictors[rows.to(device), columns.to(device)]).float()
    logprobs = torch.log_softmax(logits, dim=-1).cpu()[torch.arange(len(rows)), ids[rows, columns]]
    return torch.zeros(len(answers)).index_add_(0, rows, logprobs)


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


def evaluate_model_stage(model_dir, animals, n_held_out: int, eval_cfg: dict, device, answers_path,
                         probabilities_path) -> None:
    """The evaluate rule: both tables for one model (base, teacher or student); a system-prompt
    teacher is asked with its system prompt."""
    model, tokenizer = load_model(model_dir, device)
    system_prompt = system_prompt_of(model_dir)
    _, held_out = split_questions(n_held_out)
    questions = FAVOURITE_ANIMAL_QUESTIONS
    write_parquet(probability_table(model, tokenizer, questions, held_out, animals, device, system_prompt),
                  probabilities_path)
    write_parquet(sampled_answers(model, tokenizer, questions, held_out, eval_cfg, device, system_prompt),
                  answers_path)
