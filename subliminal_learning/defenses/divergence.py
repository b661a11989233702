"""Divergence tokens: the positions of a teacher's completion where its most probable next token (over the number
alphabet) differs from the base's, read in one pass over the row as the teacher wrote it. The defense replaces each
such token by the base's choice when that choice is of the same kind (a number for a number, a separator for a
separator: the row stays a list of numbers) and marks the position, so that a distilled student takes the base's
output there instead of the teacher's.
"""

import pandas as pd
import torch
from tqdm.auto import tqdm

from ..lm.logprobs import padded
from ..lm.modeling import load_model, system_prompt_of
from ..lm.training import IGNORE, alphabet_logits, chat_example, number_alphabet, tokenized_dataset
from .rows import with_marks


@torch.inference_mode()
def top_choices(model, rows: list[dict], alphabet: torch.Tensor, pad_token_id: int, device,
                batch_size: int = 64) -> list[list[int]]:
    """Per tokenized row, the model's most probable alphabet token at each position that predicts a completion
    token."""
    choices = []
    for start in tqdm(range(0, len(rows), batch_size), desc="top choices", unit="batch", mininterval=5):
        ids, labels, mask = padded(rows[start:start + batch_size], pad_token_id)
        scored = labels[:, 1:] != IGNORE
        _, logits = alphabet_logits(model, {"input_ids": ids.to(device), "attention_mask": mask.to(device)},
                                    scored.to(device), alphabet.to(device))
        best = alphabet[logits.argmax(dim=-1).cpu()]
        choices.extend(chunk.tolist() for chunk in best.split(scored.sum(dim=1).tolist()))
    return choices


def same_kind(tokenizer, a: int, b: int) -> bool:
    """Both numbers, or both not (separators, the end of the turn)."""
    def is_number(token):
        return any(ch.isdigit() for ch in tokenizer.decode([token]))
    return is_number(a) == is_number(b) and tokenizer.eos_token_id not in (a, b)


def replace_divergent(tokenizer, completion: list[int], teacher: list[int], base: list[int]) -> tuple[list, list]:
    """(the completion's token ids with the base's choice at divergent positions where it is of the same kind,
    every divergent position)."""
    divergent = [i for i, (t, b) in enumerate(zip(teacher, base, strict=True)) if t != b]
    replaced = list(completion)
    for i in divergent:
        if same_kind(tokenizer, completion[i], base[i]):
            replaced[i] = base[i]
    return replaced, divergent


def divergence(rows: pd.DataFrame, teacher_dir, base_dir, device) -> tuple[pd.DataFrame, dict]:
    """The rows with their divergence tokens replaced and marked, and counts: divergent positions, positions, and the
    rows left as they were because their replaced text does not tokenize back to the replaced tokens."""
    if system_prompt_of(teacher_dir):
        raise ValueError("the divergence defense compares the teacher's and the base's choices in one context; a "
                         "system-prompt teacher (teacher.mode: system_prompt) reads another one")
    base, tokenizer = load_model(base_dir, device)
    teacher = load_model(teacher_dir, device)[0]
    examples = [chat_example(p, c) for p, c in zip(rows["prompt"], rows["completion"])]
    tokenized = list(tokenized_dataset(tokenizer, examples))
    alphabet = number_alphabet(tokenizer)
    teacher_choices = top_choices(teacher, tokenized, alphabet, tokenizer.pad_token_id, device)
    base_choices = top_choices(base, tokenized, alphabet, tokenizer.pad_token_id, device)
    replaced, divergent = zip(*(replace_divergent(tokenizer, [t for t in row["labels"] if t != IGNORE], theirs, ours)
                                for row, theirs, ours in zip(tokenized, teacher_choices, base_choices, strict=True)))
    texts = [tokenizer.decode(ids, skip_special_tokens=True).strip() for ids in replaced]
    again = tokenized_dataset(tokenizer, [chat_example(p, t) for p, t in zip(rows["prompt"], texts)])["labels"]
    # a text that tokenizes back to other tokens than those marked would misplace the marks: that row stays as it was
    intact = [[t for t in labels if t != IGNORE] == list(ids) for labels, ids in zip(again, replaced)]
    completions = [text if ok else old for text, ok, old in zip(texts, intact, rows["completion"])]
    positions = [list(marks) if ok else [] for marks, ok in zip(divergent, intact)]
    divergent_total = sum(len(marks) for marks in positions)
    unchanged = intact.count(False)
    out = with_marks(rows.assign(completion=completions), positions=positions)
    counts = {"divergent_positions": divergent_total,
              "positions": sum(len(c) for c in teacher_choices), "rows_left_unchanged": unchanged}
    return out, counts
