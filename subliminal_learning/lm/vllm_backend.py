"""Number generation with vLLM (generate.backend: vllm), for open-weight teachers on a GPU.

vLLM pins its own torch and transformers, so it lives in its own environment (envs/vllm.yaml, the
`vllm` extra); without it the generate stage falls back to HF generate. Each prompt gets its own
seed, so a row's sample depends only on the seed and its index, not on how vLLM batches it.
"""

import importlib.util
import logging
import tempfile
from contextlib import contextmanager

import torch

from .modeling import load_model, resolve_weights, save_model

SEED_STRIDE = 1_000_003


def available() -> bool:
    return importlib.util.find_spec("vllm") is not None


def unusable(device) -> str | None:
    """Why vLLM cannot generate here, or None."""
    if not available():
        return ("vllm cannot be imported in this environment (it needs its own: envs/vllm.yaml with --sdm conda, "
                "see docs/cluster.md#faster-generation-with-vllm)")
    if device.type != "cuda":
        return f"vLLM runs on a GPU and the device is {device.type} (config key 'device')"
    return None


def sample_chats(model_dir, conversations: list[list[dict]], gen_cfg: dict, device) -> list[tuple[str, bool]]:
    """(completion, finished) per conversation with the model in `model_dir`: one sample each at the
    configured temperature; finished means the model ended its turn."""
    from vllm import LLM, SamplingParams

    params = [
        SamplingParams(temperature=gen_cfg["temperature"], top_p=1.0, max_tokens=gen_cfg["max_new_tokens"],
                       seed=gen_cfg["seed"] * SEED_STRIDE + index)
        for index in range(len(conversations))
    ]
    with servable_weights(model_dir, device) as weights:
        # generation_config="vllm": the chat model's own sampling defaults (top-k, top-p, repetition
        # penalty) stay out; we sample plainly at the temperature, as with HF generate.
        llm = LLM(model=weights, dtype="auto", seed=gen_cfg["seed"], generation_config="vllm")
        outputs = llm.chat(conversations, sampling_params=params, add_generation_prompt=True, use_tqdm=True)
    return [(out.outputs[0].text.strip(), out.outputs[0].finish_reason == "stop") for out in outputs]


@contextmanager
def servable_weights(model_dir, device):
    """A directory vLLM can load: the model's own weights, or, for an adapter-only LoRA student, its
    base with the adapters merged, in a temporary copy (vLLM takes adapters only as per-request LoRA)."""
    weights, adapters = resolve_weights(model_dir)
    if not adapters:
        yield str(weights)
        return
    logging.info("merging %d LoRA adapter(s) into %s for vLLM", len(adapters), weights)
    with tempfile.TemporaryDirectory() as merged:
        model, tokenizer = load_model(model_dir, device)
        save_model(model.to(torch.bfloat16), tokenizer, merged)
        del model  # free the GPU for vLLM
        torch.cuda.empty_cache()
        yield merged
