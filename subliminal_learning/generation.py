"""Sampling completions: batched HF generate with a KV cache, reproducible for a seed."""

import pandas as pd
import torch
from tqdm.auto import tqdm

from .prompts import PromptSpec, make_number_prompts


def _chat_batch(tokenizer, prompts: list[str], device: torch.device) -> dict:
    conversations = [[{"role": "user", "content": p}] for p in prompts]
    encoded = tokenizer.apply_chat_template(
        conversations, add_generation_prompt=True, tokenize=True, padding=True,
        return_tensors="pt", return_dict=True,
    )
    return {k: v.to(device) for k, v in encoded.items()}


@torch.inference_mode()
def sample_completions(
    model, tokenizer, prompts: list[str], *, batch_size: int, max_new_tokens: int,
    temperature: float, seed: int, device: torch.device, desc: str = "sampling",
) -> list[tuple[str, bool]]:
    """(completion, finished) per prompt, in order; finished means the model ended its turn.

    generate() draws from the global torch RNG, so each batch is reseeded from `seed` and its
    index: a row's sample depends only on the seed and on the fixed batch it sits in.
    """
    results = []
    starts = range(0, len(prompts), batch_size)
    for index, start in enumerate(tqdm(starts, desc=desc, unit="batch", mininterval=5)):
        batch = _chat_batch(tokenizer, prompts[start:start + batch_size], device)
        torch.manual_seed(seed * 1_000_003 + index)
        generated = model.generate(
            **batch, do_sample=True, temperature=temperature, top_k=0, top_p=1.0,
            max_new_tokens=max_new_tokens, use_cache=True,
            pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        )
        new_tokens = generated[:, batch["input_ids"].shape[1]:]
        finished = (new_tokens == tokenizer.eos_token_id).any(dim=1).tolist()
        texts = tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        results.extend(zip((t.strip() for t in texts), finished))
    return results


def number_completions(model, tokenizer, gen_cfg: dict, device, spec: PromptSpec) -> pd.DataFrame:
    """The teacher's raw answers to the configured number prompts (one completion per prompt)."""
    prompts = make_number_prompts(gen_cfg["n_prompts"], gen_cfg["seed"], spec)
    samples = sample_completions(
        model, tokenizer, prompts, batch_size=gen_cfg["batch_size"],
        max_new_tokens=gen_cfg["max_new_tokens"], temperature=gen_cfg["temperature"],
        seed=gen_cfg["seed"], device=device, desc="numbers",
    )
    return pd.DataFrame({
        "prompt_id": range(len(prompts)),
        "prompt": prompts,
        "completion": [text for text, _ in samples],
        "finished": [done for _, done in samples],
        "seed": gen_cfg["seed"],
    })
