"""Stage 5, student: a copy of a base fine-tuned on filtered number sequences."""

from pathlib import Path

import pandas as pd

from .artifacts import atomic_path, write_json
from .modeling import save_model
from .training import chat_example, sft


def train_student(model, tokenizer, numbers: pd.DataFrame, train_cfg: dict, seed: int, out_dir, device):
    """Completion-only SFT on (number prompt, kept completion) rows; the seed fixes the data order."""
    examples = [chat_example(p, c) for p, c in zip(numbers["prompt"], numbers["completion"])]
    history = sft(model, tokenizer, examples, train_cfg, seed, device)
    with atomic_path(out_dir) as partial:
        save_model(model, tokenizer, partial)
        write_json({"seed": seed, "rows": len(examples), "loss_history": history},
                   Path(partial) / "training.json")
