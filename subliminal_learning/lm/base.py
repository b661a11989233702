"""Stage 1, base: the model every teacher and student starts from."""

import hashlib
from importlib import metadata
from pathlib import Path

from ..artifacts import atomic_path, write_json
from .corpus import corpus_texts, pretraining_corpus
from .hub import gguf_path, is_gguf, locate_model
from .modeling import BASE_INFO, build_tiny_llama, load_gguf, save_model
from .prompts import PromptSpec
from .tokenizer import build_tokenizer
from .training import sft


def build_tiny_base(animals: list[str], base_cfg: dict, spec: PromptSpec, init_seed: int, out_dir, device):
    """Tokenizer + from-scratch Llama, pretrained on the synthetic corpus; saved to `out_dir`.

    The corpus and its order are fixed by the corpus seed, so two bases differ only by `init_seed`.
    """
    tokenizer = build_tokenizer(corpus_texts(animals, base_cfg["corpus"]))
    model = build_tiny_llama(tokenizer, base_cfg["model"], init_seed).to(device)
    corpus = pretraining_corpus(animals, base_cfg["corpus"], spec)
    _, history = sft(model, tokenizer, corpus, base_cfg["train"], base_cfg["corpus"]["seed"], device)
    with atomic_path(out_dir) as partial:
        save_model(model, tokenizer, partial)
        write_json(
            {"kind": "tiny", "init_seed": init_seed, "parameters": model.num_parameters(),
             "vocab_size": len(tokenizer), "final_loss": history[-1]["loss"] if history else None},
            Path(partial) / BASE_INFO,
        )


def write_hf_base(model: str, out_dir) -> dict:
    """The base stage of an open-weight model: a GGUF file is converted, anything else pointed at."""
    return convert_gguf_base(model, out_dir) if is_gguf(model) else point_at_hf_base(model, out_dir)


def point_at_hf_base(model: str, out_dir) -> dict:
    """A pointer to an open-weight base (a local directory or a hub snapshot), not a copy of it: a 7B
    model is 15 GB. Every later stage loads the recorded path, so all of them use the same revision."""
    info = {"kind": "hf", "model": model, **locate_model(model)}
    with atomic_path(out_dir) as partial:
        partial.mkdir()
        write_json(info, partial / BASE_INFO)
    return info


def convert_gguf_base(model: str, out_dir) -> dict:
    """A GGUF base dequantised once to float32 safetensors in `out_dir`, so that later stages load it fast
    and never read the GGUF again; `base_info.json` records the file, its hash and the conversion."""
    source = gguf_path(model)
    sha256 = _sha256(source)  # before the conversion: the hash is of the file that was read
    weights, tokenizer = load_gguf(source)
    info = {
        "kind": "hf", "model": model, "parameters": weights.num_parameters(),
        "gguf": {"source": str(source), "sha256": sha256, "dtype": "float32",
                 "transformers": metadata.version("transformers"), "gguf": metadata.version("gguf")},
    }
    with atomic_path(out_dir) as partial:
        save_model(weights, tokenizer, partial)
        write_json(info, Path(partial) / BASE_INFO)
    return info


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
