"""Building, saving and loading the models of the experiment.

A model directory holds weights, or a pointer to weights kept elsewhere: an open-weight base
(`base_info.json` of kind hf) names the model it stands for (one converted from a GGUF file holds its
weights), a system-prompt teacher
(`teacher_info.json`) the base it prompts, an adapter-only LoRA student (`adapter_info.json`) the base
its adapter was trained on. `load_model` follows the pointers.
"""

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig, LlamaConfig, LlamaForCausalLM, set_seed

from ..artifacts import read_json

BASE_INFO = "base_info.json"
TEACHER_INFO = "teacher_info.json"
ADAPTER_INFO = "adapter_info.json"


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


# Config keys of models whose logits are more than the LM head's output (softcapping, scaling): code that runs
# the head itself on the positions it needs (evaluation, distillation) would leave those steps out.
LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling")


def check_plain_lm_head(model) -> None:
    """Refuse a model whose logits are not just its LM head applied to the decoder's last hidden state."""
    transforms = [key for key in LOGIT_TRANSFORMS if getattr(model.config, key, None) not in (None, 1.0)]
    if transforms:
        raise NotImplementedError(f"{type(model).__name__} transforms its logits ({transforms}); not supported")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: cuda was requested but no CUDA GPU is visible; set device: cpu or auto")
    return torch.device(name)


def resolve_weights(path: str | Path) -> tuple[Path, list[Path]]:
    """The directory holding the weights of the model at `path`, and the LoRA adapters to merge into
    them, in order."""
    path = Path(path)
    if (path / TEACHER_INFO).is_file():
        return resolve_weights(read_json(path / TEACHER_INFO)["base"])
    if (path / ADAPTER_INFO).is_file():
        weights, adapters = resolve_weights(read_json(path / ADAPTER_INFO)["base"])
        return weights, [*adapters, path]
    if (path / BASE_INFO).is_file():
        info = read_json(path / BASE_INFO)
        if info["kind"] == "hf" and "gguf" not in info:  # a converted GGUF base holds its weights
            return Path(info["path"]), []
    return path, []


def system_prompt_of(path: str | Path) -> str | None:
    """The system prompt a model directory's model is used with (a system-prompt teacher), or None."""
    info = Path(path) / TEACHER_INFO
    return read_json(info).get("system_prompt") if info.is_file() else None


def load_model(path: str | Path, device: torch.device):
    """Model and tokenizer from a directory written by `save_model` or holding a pointer, ready for
    inference; LoRA adapters are merged in memory."""
    weights, adapters = resolve_weights(path)
    own_tokenizer = (Path(path) / "tokenizer_config.json").is_file()
    tokenizer = AutoTokenizer.from_pretrained(path if own_tokenizer else weights, padding_side="left")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(weights, dtype=dtype).to(device)
    for adapter in adapters:
        model = merge_adapter(model, adapter)
    model.eval()
    return model, tokenizer


def load_gguf(path: Path):
    """Model and tokenizer from a GGUF file, every weight dequantised to float32 (the file's
    quantisation blocks are exact in float32; bfloat16 would round them)."""
    model = AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=torch.float32, quantization_config=GgufConfig(dequantize=True)
    )
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    return model, tokenizer


def merge_adapter(model, adapter: Path):
    from peft import PeftModel  # here, not at the top: importing peft costs every job about a second

    return PeftModel.from_pretrained(model, adapter).merge_and_unload()


def save_model(model, tokenizer, path: str | Path) -> None:
    model.save_pretrained(path, safe_serialization=True)
    tokenizer.save_pretrained(path)
