"""Building, saving and loading the models of the experiment."""

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM, set_seed


def build_tiny_llama(tokenizer, model_cfg: dict, init_seed: int) -> LlamaForCausalLM:
    """A from-scratch Llama whose weights depend only on the architecture and `init_seed`."""
    set_seed(init_seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=model_cfg["hidden_size"],
        intermediate_size=model_cfg["intermediate_size"],
        num_hidden_layers=model_cfg["num_layers"],
        num_attention_heads=model_cfg["num_heads"],
        num_key_value_heads=model_cfg["num_heads"],
        max_position_embeddings=model_cfg["max_position_embeddings"],
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return LlamaForCausalLM(config)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: cuda was requested but no CUDA GPU is visible; set device: cpu or auto")
    return torch.device(name)


def load_model(path: str | Path, device: torch.device):
    """Model and tokenizer from a directory written by `save_model`, ready for inference."""
    tokenizer = AutoTokenizer.from_pretrained(path, padding_side="left")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device)
    model.eval()
    return model, tokenizer


def save_model(model, tokenizer, path: str | Path) -> None:
    model.save_pretrained(path, safe_serialization=True)
    tokenizer.save_pretrained(path)
