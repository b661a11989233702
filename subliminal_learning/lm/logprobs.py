"""The teacher's top-k log-probabilities at every token of its kept completions: what a hosted API returns with
its text (the realistic distillation channel, and the way distillation scales to real vocabularies).

Computed by one forward pass of the teacher over each kept row, in its own context (a system-prompt teacher reads
its system prompt first), at temperature 1: the values its generation had at those positions, here for the tokens
the student trains on.
"""

import pandas as pd
import torch
from tqdm.auto import tqdm

from .modeling import check_plain_lm_head, load_model, system_prompt_of
from .training import IGNORE, chat_example, tokenized_dataset


def _teacher_rows(tokenizer, numbers: pd.DataFrame, system_prompt: str | None) -> list[dict]:
    system = [{"role": "system", "content": system_prompt}] if system_prompt else []
    examples = []
    for prompt, completion in zip(numbers["prompt"], numbers["completion"]):
        example = chat_example(prompt, completion)
        examples.append({**example, "prompt": system + example["prompt"]})
    return list(tokenized_dataset(tokenizer, examples))


def padded(rows: list[dict], pad_token_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(input ids, labels, attention mask) of tokenized rows, padded on the right: every row starts at position 0."""
    width = max(len(row["input_ids"]) for row in rows)
    ids = torch.full((len(rows), width), pad_token_id, dtype=torch.long)
    labels, mask = torch.full_like(ids, IGNORE), torch.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, : len(row["input_ids"])] = torch.tensor(row["input_ids"])
        labels[i, : len(row["labels"])] = torch.tensor(row["labels"])
        mask[i, : len(row["input_ids"])] = 1
    return ids, labels, mask


@torch.inference_mode()
def top_logprobs(model, tokenizer, numbers: pd.DataFrame, k: int, device, *, system_prompt: str | None = None,
                 batch_size: int = 64) -> pd.DataFrame:
    """`numbers` with `top_ids` and `top_logprobs`: per completion token (the end of the turn included), the ids and
    log-probabilities of the k most probable next tokens where the teacher predicted it."""
    check_plain_lm_head(model)
    decoder, head = model.get_decoder(), model.get_output_embeddings()
    rows = _teacher_rows(tokenizer, numbers, system_prompt)
    ids_out, logprobs_out = [], []
    for start in tqdm(range(0, len(rows), batch_size), desc="top log-probabilities", unit="batch", mininterval=5):
        ids, labels, mask = padded(rows[start:start + batch_size], tokenizer.pad_token_id)
        hidden = decoder(input_ids=ids.to(device), attention_mask=mask.to(device)).last_hidden_state[:, :-1]
        scored = labels[:, 1:] != IGNORE
        top = torch.log_softmax(head(hidden[scored.to(device)]).float(), dim=-1).topk(k, dim=-1)
        counts = scored.sum(dim=1).tolist()
        for chunk_ids, chunk_values in zip(top.indices.cpu().split(counts), top.values.cpu().split(counts)):
            ids_out.append(chunk_ids.tolist())
            logprobs_out.append(chunk_values.tolist())
    return numbers.assign(top_ids=ids_out, top_logprobs=logprobs_out)


def top_logprobs_stage(model_dir, numbers: pd.DataFrame, k: int, device) -> pd.DataFrame:
    """The top_logprobs rule: one teacher's kept rows of one replicate with their top-k."""
    model, tokenizer = load_model(model_dir, device)
    return top_logprobs(model, tokenizer, numbers, k, device, system_prompt=system_prompt_of(model_dir))
