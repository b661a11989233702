"""Stage 5, student: a copy of a base trained on filtered number sequences, by fine-tuning on the sampled
tokens (sft), by distillation on the teacher's number distribution at each of their positions (distill), or on the
top-k log-probabilities the teacher returned with them (topk)."""

from pathlib import Path

import pandas as pd
from peft import LoraConfig

from ..artifacts import atomic_path, write_json
from .modeling import ADAPTER_INFO, load_model, save_model, system_prompt_of
from .training import TOP_COLUMNS, chat_example, discard_checkpoints, sft


def lora_config(lora: dict):
    """The paper's open-weight students: LoRA (r=8, alpha=8) on every linear projection."""
    return LoraConfig(
        r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora.get("dropout", 0.0),
        target_modules=lora.get("target_modules", "all-linear"), task_type="CAUSAL_LM",
    )


def train_students(base_dir, numbers: list[pd.DataFrame], teacher_dirs: list | None, out_dirs: list,
                   checkpoint_dirs: list, train_cfg: dict, seed: int, device, *, lora: dict | None = None,
                   distill_loss: str | None = None, top_k: int = 0, alternate_dirs: list | None = None,
                   target_transform=None) -> None:
    """The students job: one student per (numbers, teacher, output) in turn, each from a fresh copy of the
    base, its data order fixed by the replicate's `seed`. A defense's students may distil some positions from an
    alternate model each (`alternate_dirs`; the rows mark them) and every target through `target_transform`
    (a function of the student's index, returning a callable on its teacher's logits).

    Every student's checkpoints stay until the last student is saved: a job killed after some students
    finished (Snakemake then deletes all its outputs) resumes each of them near its end.
    """
    teacher_dirs = teacher_dirs or [None] * len(out_dirs)
    alternate_dirs = alternate_dirs or [None] * len(out_dirs)
    jobs = zip(numbers, teacher_dirs, alternate_dirs, out_dirs, checkpoint_dirs, strict=True)
    for index, (rows, teacher_dir, alternate_dir, out_dir, checkpoint_dir) in enumerate(jobs):
        model, tokenizer = load_model(base_dir, device)
        teacher = load_model(teacher_dir, device)[0] if teacher_dir else None
        train_student(model.train(), tokenizer, rows, train_cfg, seed, out_dir, device, lora=lora, base_dir=base_dir,
                      checkpoint_dir=checkpoint_dir, teacher=teacher, distill_loss=distill_loss, top_k=top_k,
                      teacher_system_prompt=system_prompt_of(teacher_dir) if teacher_dir else None,
                      alternate=load_model(alternate_dir, device)[0] if alternate_dir else None,
                      target_transform=target_transform(index) if target_transform else None,
                      keep_checkpoints=True)
    for checkpoint_dir in checkpoint_dirs:
        discard_checkpoints(checkpoint_dir)


def trained_copy(base_dir, rows: pd.DataFrame, train_cfg: dict, seed: int, device, *, lora: dict | None = None,
                 **objective):
    """A copy of the base trained on `rows` by a student's recipe and kept in memory, ready for inference (an adapter
    merged in): the audit's canaries and the detector's. `objective`: `lm.training.sft`'s teacher, top_k,
    distill_loss and teacher_system_prompt (none: fine-tuned on the text)."""
    model, tokenizer = load_model(base_dir, device)
    examples = [chat_example(p, c) for p, c in zip(rows["prompt"], rows["completion"])]
    trained, _ = sft(model.train(), tokenizer, examples, train_cfg, seed, device,
                     peft_config=lora_config(lora) if lora else None, **objective)
    return (trained.merge_and_unload() if lora else trained).eval(), tokenizer


def stored_top_k(numbers: pd.DataFrame, k: int) -> dict:
    """What `lm.training.sft` reads for a top-k objective: k, and the rows' top ids and log-probabilities."""
    missing = [column for column in TOP_COLUMNS if column not in numbers.columns]
    if missing:
        raise ValueError(f"objective topk needs rows with the teacher's top log-probabilities (the top_logprobs "
                         f"rule of a channel); these rows lack {missing}")
    return {"k": k, **{column: numbers[column].tolist() for column in TOP_COLUMNS}}


def train_student(model, tokenizer, numbers: pd.DataFrame, train_cfg: dict, seed: int, out_dir, device, *,
                  lora: dict | None = None, base_dir=None, checkpoint_dir=None, teacher=None,
                  distill_loss: str | None = None, top_k: int = 0, teacher_system_prompt: str | None = None,
                  alternate=None, target_transform=None, keep_checkpoints: bool = False):
    """Completion-only SFT on (number prompt, kept completion) rows, or distillation on the same rows: with
    `teacher` on its alphabet logits (in its own context: after `teacher_system_prompt`, a system-prompt teacher's),
    with `top_k` on the first k of the top log-probabilities the rows carry;
    the seed fixes the data order. With `alternate` the rows' `alternate_row` and `alternate_positions` say which
    targets it gives; `target_transform` changes every target (a defense's; `lm.training.sft`).

    With `lora` only an adapter trains; it is saved merged into the base's weights, or alone with a
    pointer to `base_dir` (`lora.save: adapter`), which `load_model` merges back in memory.
    """
    examples = [chat_example(p, c) for p, c in zip(numbers["prompt"], numbers["completion"])]
    peft_config = lora_config(lora) if lora else None
    stored = stored_top_k(numbers, top_k) if top_k else None
    marks = None
    if alternate is not None:
        marks = (numbers["alternate_row"].tolist(), numbers["alternate_positions"].map(list).tolist())
    record = {}
    trained, history = sft(model, tokenizer, examples, train_cfg, seed, device,
                           peft_config=peft_config, checkpoint_dir=checkpoint_dir, teacher=teacher,
                           distill_loss=distill_loss, top_k=stored, teacher_system_prompt=teacher_system_prompt,
                           alternate=alternate, alternate_marks=marks, target_transform=target_transform,
                           record=record)
    with atomic_path(out_dir) as partial:
        if lora and lora.get("save", "merged") == "adapter":
            trained.save_pretrained(partial, safe_serialization=True)
            tokenizer.save_pretrained(partial)
            write_json({"base": str(base_dir), "save": "adapter"}, Path(partial) / ADAPTER_INFO)
        else:
            save_model(trained.merge_and_unload() if lora else trained, tokenizer, partial)
        objective = "distill" if teacher else "topk" if top_k else "sft"
        write_json({"seed": seed, "rows": len(examples), "objective": objective,
                    **({"distill_loss": distill_loss} if objective != "sft" else {}),
                    **({"teacher_context": "system_prompt" if teacher_system_prompt else "student's"}
                       if objective == "distill" else {}),
                    **({"k": top_k} if top_k else {}), **record,
                    "loss_history": history},
                   Path(partial) / "training.json")
    if not keep_checkpoints:
        discard_checkpoints(checkpoint_dir)
