"""Sampling completions: batched HF generate with a KV cache, reproducible for a seed (or vLLM)."""

import logging

import pandas as pd
import torch
from tqdm.auto import tqdm
from transformers import LogitsProcessorList

from . import vllm_backend
from .modeling import load_model, system_prompt_of
from .prompts import PromptSpec, make_number_prompts
from ..replicates import replicate_seed
from .sampling import InverseCdfSampler


def conversation(prompt: str, system_prompt: str | None = None) -> list[dict]:
    """One user turn, after the model's system prompt when it has one (a system-prompt teacher)."""
    system = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*system, {"role": "user", "content": prompt}]


def chat_batch(tokenizer, prompts: list[str], device: torch.device, system_prompt: str | None = None) -> dict:
    conversations = [conversation(p, system_prompt) for p in prompts]
    encoded = tokenizer.apply_chat_template(
        conversations, add_generation_prompt=True, tokenize=True, padding=True,
        return_tensors="pt", return_dict=True,
    )
    return {k: v.to(device) for k, v in encoded.items()}


@torch.inference_mode()
def sample_completions(
    model, tokenizer, prompts: list[str], *, batch_size: int, max_new_tokens: int,
    temperature: float, seed: int, device: torch.device, desc: str = "sampling", system_prompt: str | None = None,
    threshold: float = 0.0, top_p: float = 1.0, greedy: bool = False,
) -> list[tuple[str, bool]]:
    """(completion, finished) per prompt, in order; finished means the model ended its turn. Sampled at
    `temperature`, after threshold or top-p truncation (`sampling.truncated`), or with `greedy` the most probable
    token at each step.

    Each batch draws from its own generator, seeded from `seed` and the batch's index: a row's sample
    depends only on the seed and on the fixed batch it sits in.
    """
    results = []
    starts = range(0, len(prompts), batch_size)
    for index, start in enumerate(tqdm(starts, desc=desc, unit="batch", mininterval=5)):
        batch = chat_batch(tokenizer, prompts[start:start + batch_size], device, system_prompt)
        sampler = [] if greedy else [InverseCdfSampler(temperature, seed * 1_000_003 + index, device,
                                                        threshold=threshold, top_p=top_p)]
        # Sampling drawn by the sampler (greedy then takes its draw): chat models ship generation configs with
        # top-k, top-p and a repetition penalty, which are overridden here.
        generated = model.generate(
            **batch, do_sample=False, temperature=None, top_k=None, top_p=None, repetition_penalty=1.0,
            logits_processor=LogitsProcessorList(sampler), max_new_tokens=max_new_tokens, use_cache=True,
            pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        )
        new_tokens = generated[:, batch["input_ids"].shape[1]:]
        finished = (new_tokens == tokenizer.eos_token_id).any(dim=1).tolist()
        texts = tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        results.extend(zip((t.strip() for t in texts), finished))
    return results


TRUNCATION = ("threshold", "top_p", "greedy")  # optional generate settings: how the teacher's tokens are drawn


def number_completions(model, tokenizer, gen_cfg: dict, device, spec: PromptSpec,
                       system_prompt: str | None = None) -> pd.DataFrame:
    """The teacher's raw answers to the number prompts of `gen_cfg['seed']` (one completion per prompt)."""
    prompts = make_number_prompts(gen_cfg["n_prompts"], gen_cfg["seed"], spec)
    samples = sample_completions(
        model, tokenizer, prompts, batch_size=gen_cfg["batch_size"],
        max_new_tokens=gen_cfg["max_new_tokens"], temperature=gen_cfg["temperature"],
        seed=gen_cfg["seed"], device=device, desc="numbers", system_prompt=system_prompt,
        **{key: gen_cfg[key] for key in TRUNCATION if key in gen_cfg},
    )
    return numbers_table(prompts, samples)


def numbers_table(prompts: list[str], samples: list[tuple[str, bool]]) -> pd.DataFrame:
    return pd.DataFrame({
        "prompt_id": range(len(prompts)),
        "prompt": prompts,
        "completion": [text for text, _ in samples],
        "finished": [done for _, done in samples],
    })


def generate_stage(model_dir, gen_cfg: dict, device, spec: PromptSpec, replicate: int) -> pd.DataFrame:
    """The generate rule: one replicate's numbers from the model in `model_dir`, with its system prompt
    if it has one, by HF generate or (generate.backend: vllm) by vLLM when it is installed.

    The replicate draws its own prompts and samples (seeded by `replicate_seed`): every teacher of a
    replicate answers the same prompts, and no two replicates share a draw of numbers.
    """
    gen_cfg = {**gen_cfg, "seed": replicate_seed(gen_cfg["seed"], replicate)}
    system_prompt = system_prompt_of(model_dir)
    if gen_cfg.get("backend", "hf") == "vllm":
        truncating = gen_cfg.get("threshold", 0) > 0 or gen_cfg.get("top_p", 1) < 1 or gen_cfg.get("greedy", False)
        problem = ("this run truncates sampling (generate.threshold, top_p or greedy), which this vLLM path does not support"
                   if truncating else vllm_backend.unusable(device))
        if problem is None:
            prompts = make_number_prompts(gen_cfg["n_prompts"], gen_cfg["seed"], spec)
            conversations = [conversation(p, system_prompt) for p in prompts]
            samples = vllm_backend.sample_chats(model_dir, conversations, gen_cfg, device)
            return numbers_table(prompts, samples).assign(seed=replicate)
        logging.warning("generate.backend is vllm but %s; falling back to HF generate (samples differ from "
                        "vLLM's)", problem)
    model, tokenizer = load_model(model_dir, device)
    return number_completions(model, tokenizer, gen_cfg, device, spec, system_prompt).assign(seed=replicate)
