"""Stage 5, student: a copy of a base trained on filtered number sequences, by fine-tuning on the sampled
tokens (sft) or by distillation on the teacher's number distribution at each of their positions (distill)."""

from pathlib import Path

import pandas as pd
from peft import LoraConfig

from .artifacts import atomic_path, write_json
from .modeling import ADAPTER_INFO, save_model
from .training import chat_example, discard_checkpoints, sft


def lora_config(lora: dict):
    """The paper's open-weight students: LoRA (r=8, alpha=8) on every linear projection."""
    return LoraConfig(
        r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora.get("dropout", 0.0),
        target_modules=lora.get("target_modules", "all-linear"), task_type="CAUSAL_LM",
    )


def train_student(model, tokenizer, numbers: pd.DataFrame, train_cfg: dict, seed: int, out_dir, device, *,
                  lora: dict | None = None, base_dir=None, checkpoint_dir=None, teacher=None):
    """Completion-only SFT on (number prompt, kept completion) rows, or with `teacher` distillation on
    the same rows; the seed fixes the data order.

    With `lora` only an adapter trains; it is saved merged into the base's weights, or alone with a
    pointer to `base_dir` (`lora.save: adapter`), which `load_model` merges back in memory.
    """
    examples = [chat_example(p, c) for p, c in zip(numbers["prompt"], numbers["completion"])]
    peft_config = lora_config(lora) if lora else None
    trained, history = sft(model, tokenizer, examples, train_cfg, seed, device,
                           peft_config=peft_config, checkpoint_dir=checkpoint_dir, teacher=teacher)
    with atomic_path(out_dir) as partial:
        if lora and lora.get("save", "merged") == "adapter":
            trained.save_pretrained(partial, safe_serialization=True)
            tokenizer.save_pretrained(partial)
            write_json({"base": str(base_dir), "save": "adapter"}, Path(partial) / ADAPTER_INFO)
        else:
            save_model(trained.merge_and_unload() if lora else trained, tokenizer, partial)
        write_json({"seed": seed, "rows": len(examples), "objective": "distill" if teacher else "sft",
                    "loss_history": history},
                   Path(partial) / "training.json")
    discard_checkpoints(checkpoint_dir)
