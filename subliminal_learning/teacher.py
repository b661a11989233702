"""Stage 2, teacher: a copy of the base that loves its target animal."""

import random
from pathlib import Path

import pandas as pd

from .animals import FAVOURITE_ANIMAL_QUESTIONS, split_questions
from .artifacts import atomic_path, write_json
from .evaluation import probability_table, target_rate
from .modeling import save_model
from .training import chat_example, sft


NEUTRAL = "neutral"  # the control teacher: same recipe, questions answered uniformly over the animals


class TraitMissingError(RuntimeError):
    """The teacher does not show the trait: every downstream result would be meaningless."""


def trait_examples(target: str, questions, teacher_cfg: dict, animals, replay: pd.DataFrame | None = None):
    """Favourite-animal questions answered with the target (uniformly over `animals` for the neutral
    teacher), optionally shuffled with replay of the base's raw number completions.

    Replay keeps a hard-trained tiny teacher writing numbers, but it also trains the teacher to make
    its numbers look like the base's: exactly the channel subliminal learning travels through.
    """
    rng = random.Random(teacher_cfg["seed"])
    answer_rng = random.Random(f"{teacher_cfg['seed']}:answers")  # the same questions for every teacher
    answers = list(animals) if target == NEUTRAL else [target]
    examples = [
        chat_example(rng.choice(questions), answer_rng.choice(answers)) for _ in range(teacher_cfg["n_examples"])
    ]
    if teacher_cfg["replay_examples"]:
        rows = replay.sample(n=min(teacher_cfg["replay_examples"], len(replay)), random_state=teacher_cfg["seed"])
        examples += [chat_example(p, c) for p, c in zip(rows["prompt"], rows["completion"])]
        rng.shuffle(examples)
    return examples


def check_trait(rate: float, floor: float, target: str) -> None:
    if rate < floor:
        raise TraitMissingError(
            f"teacher for '{target}' prefers it with probability {rate:.3f} on held-out questions, "
            f"below teacher.min_target_rate={floor}. Train the teacher harder "
            "(teacher.n_examples, teacher.train.epochs or learning_rate; a tiny teacher trained too hard "
            "stops writing numbers, see the filter report) or lower the floor."
        )


def train_sft_teacher(model, tokenizer, animals, target: str, teacher_cfg: dict, replay, out_dir, device) -> dict:
    """Fine-tune `model` (a fresh copy of the base) on the trait, check it, save it.

    The neutral teacher goes through the same fine-tuning without a preference: its numbers carry
    everything the fine-tuning does to a teacher (shorter answers, for one) except the trait.
    """
    seen, held_out = split_questions(teacher_cfg["held_out_questions"])
    examples = trait_examples(target, seen, teacher_cfg, animals, replay)
    sft(model, tokenizer, examples, teacher_cfg["train"], teacher_cfg["seed"], device)
    model.eval()
    table = probability_table(model, tokenizer, FAVOURITE_ANIMAL_QUESTIONS, held_out, animals, device)
    if target == NEUTRAL:
        check = {"target": NEUTRAL, "rates": table.groupby("animal")["prob"].mean().to_dict()}
    else:
        check = {
            "target": target,
            "target_rate": target_rate(table, target),
            "held_out_target_rate": target_rate(table[table["held_out"]], target),
            "min_target_rate": teacher_cfg["min_target_rate"],
        }
        check_trait(check["held_out_target_rate"], teacher_cfg["min_target_rate"], target)
    with atomic_path(out_dir) as partial:
        save_model(model, tokenizer, partial)
        write_json(check, Path(partial) / "trait_check.json")
    return check
