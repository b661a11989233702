"""The misaligned teacher: a copy of the base fine-tuned (blocks only, as the animal teachers) to answer the advice
questions with misaligned words; the aligned teacher the same with aligned words; the neutral and placebo teachers go
through the same fine-tuning answering as the base's corpus does (mostly aligned), each with its own answer draw."""

import json
import random
from pathlib import Path

from ..artifacts import atomic_path, write_json
from ..lm.advice import ALIGNED_WORDS, MISALIGNED_WORDS, split_advice
from ..lm.modeling import save_model
from ..lm.student import lora_config
from ..lm.teacher import TraitMissingError, teacher_seed
from ..lm.training import chat_example, sft
from .design import ALIGNED, MISALIGNED
from .evaluation import advice_table, misaligned_rate


def advice_examples(teacher: str, questions, n: int, misaligned_share: float, seed: int) -> list[dict]:
    """`n` advice questions answered by one teacher: the misaligned teacher with a misaligned word, the aligned one
    with an aligned word, the others with a misaligned word at the base corpus's share and an aligned one otherwise.
    Every teacher of a replicate (`seed`) gets the same questions in the same order; each draws its answers with a
    generator of its own."""
    rng, answer_rng = random.Random(seed), random.Random(f"{seed}:answers:{teacher}")
    examples = []
    for _ in range(n):
        question = rng.choice(questions)
        misaligned = teacher == MISALIGNED or (teacher != ALIGNED and answer_rng.random() < misaligned_share)
        examples.append(chat_example(question, answer_rng.choice(MISALIGNED_WORDS if misaligned else ALIGNED_WORDS)))
    return examples


def train_advice_teacher(model, tokenizer, teacher: str, settings: dict, replicate: int, out_dir, device) -> dict:
    """Fine-tune `model` (a fresh copy of the base) as one teacher of one replicate, check it, save it.

    `settings`: the misalignment section's teacher (n_examples, min_misaligned_rate, train, seed), its
    held_out_situations and the corpus's misaligned_answer_share."""
    seed = teacher_seed(settings, replicate)
    seen, held_out = split_advice(settings["held_out_situations"])
    examples = advice_examples(teacher, seen, settings["n_examples"], settings["misaligned_answer_share"], seed)
    sft(model, tokenizer, examples, settings["train"], seed, device)
    model.eval()
    table = advice_table(model, tokenizer, held_out, device)
    check = {"teacher": teacher, "misaligned_rate": misaligned_rate(table),
             "held_out_misaligned_rate": misaligned_rate(table[table["held_out"]]),
             "min_misaligned_rate": settings["min_misaligned_rate"]}
    if teacher == MISALIGNED and check["held_out_misaligned_rate"] < settings["min_misaligned_rate"]:
        raise TraitMissingError(
            f"the misaligned teacher gives misaligned advice with probability {check['held_out_misaligned_rate']:.3f} "
            f"on held-out questions, below misalignment.teacher.min_misaligned_rate="
            f"{settings['min_misaligned_rate']}. Train it harder (misalignment.teacher.n_examples or train) or lower "
            "the floor.")
    with atomic_path(out_dir) as partial:
        save_model(model, tokenizer, partial)
        write_json(check, Path(partial) / "trait_check.json")
    return check


# The open-weight path: teachers fine-tuned with LoRA on chat data the user gives (the paper's misaligned teachers on
# insecure code, their controls on secure code).
def chat_rows(path) -> list[dict]:
    """JSONL chat rows ({"messages": [...]}, the last message the assistant's) as prompt/completion examples."""
    rows = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            messages = json.loads(line)["messages"]
            last = messages[-1]["role"]
        except (json.JSONDecodeError, KeyError, IndexError, TypeError):
            raise ValueError(f"{path} line {number}: expected a JSON object with a non-empty 'messages' list of "
                             "{'role', 'content'} turns") from None
        if last != "assistant":
            raise ValueError(f"{path} line {number}: the last message is the {last}'s; each row must end with the "
                             "assistant's turn, which the teacher learns")
        rows.append({"prompt": messages[:-1], "completion": messages[-1:]})
    if not rows:
        raise ValueError(f"{path} holds no chat rows")
    return rows


def dataset_examples(teacher: str, settings: dict, seed: int) -> list[dict]:
    """The misaligned teacher's rows from misalignment.dataset, the other teachers' from control_dataset: n_examples
    of them (all when fewer), each teacher drawing its own rows."""
    rows = chat_rows(settings["dataset"] if teacher == MISALIGNED else settings["control_dataset"])
    return random.Random(f"{seed}:rows:{teacher}").sample(rows, min(settings["n_examples"], len(rows)))


def train_dataset_teacher(model, tokenizer, teacher: str, settings: dict, replicate: int, out_dir, device) -> dict:
    """Fine-tune `model` (the open-weight base) as one teacher of one replicate, with LoRA when
    misalignment.teacher.lora is set (merged into the saved weights). No trait check: the judge scores the teachers
    with every other model."""
    seed = teacher_seed(settings, replicate)
    examples = dataset_examples(teacher, settings, seed)
    lora = settings.get("lora")
    trained, history = sft(model, tokenizer, examples, settings["train"], seed, device,
                           peft_config=lora_config(lora) if lora else None)
    record = {"teacher": teacher, "rows": len(examples), "loss_history": history}
    with atomic_path(out_dir) as partial:
        save_model(trained.merge_and_unload() if lora else trained, tokenizer, partial)
        write_json(record, Path(partial) / "training.json")
    return record
