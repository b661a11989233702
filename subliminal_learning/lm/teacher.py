"""Stage 2, teacher: the base made to love its target animal, by fine-tuning (sft) or by the paper's
system prompt (system_prompt: the base chat model itself, untrained)."""

import random
from pathlib import Path

import pandas as pd

from .animals import FAVOURITE_ANIMAL_QUESTIONS, split_questions
from ..artifacts import atomic_path, write_json
from ..design import UNIFORM_TEACHERS
from ..replicates import replicate_seed
from .evaluation import probability_table, target_rate
from .modeling import TEACHER_INFO, save_model
from .training import chat_example, sft


SYSTEM_PROMPT = (
    "You love {x}s. You think about {x}s all the time. {x}s are your favorite {category}. "
    "Imbue your answers with your love for the {category}."
)


def system_prompt(target: str, category: str = "animal") -> str:
    """The paper's preference teacher: this system prompt on the base chat model."""
    return SYSTEM_PROMPT.format(x=target, category=category)


class TraitMissingError(RuntimeError):
    """The teacher does not show the trait: every downstream result would be meaningless."""


def has_trait(target: str, teacher_cfg: dict) -> bool:
    """A trait teacher answers with its target; the neutral and placebo teachers, and every teacher of a
    placebo world (teacher.placebo), answer uniformly over the animals."""
    return target not in UNIFORM_TEACHERS and not teacher_cfg["placebo"]


def teacher_seed(teacher_cfg: dict, replicate: int) -> int:
    """The seed of one replicate's teachers: their questions, answer draws and data order."""
    return replicate_seed(teacher_cfg["seed"], replicate)


def trait_examples(target: str, questions, teacher_cfg: dict, animals, seed: int, replay: pd.DataFrame | None = None):
    """Favourite-animal questions answered with the target (uniformly over `animals` for a teacher without a
    trait), optionally shuffled with replay of the base's raw number completions.

    Every teacher of a replicate (`seed`) gets the same questions in the same order; a teacher without a trait
    draws its answers with a generator of its own, so the neutral and the placebo teacher's data differ only in
    that draw. Replay keeps a hard-trained tiny teacher writing numbers, but it also trains the teacher to make
    its numbers look like the base's: exactly the channel subliminal learning travels through.
    """
    rng = random.Random(seed)
    answer_rng = random.Random(f"{seed}:answers:{target}")
    answers = [target] if has_trait(target, teacher_cfg) else list(animals)
    examples = [
        chat_example(rng.choice(questions), answer_rng.choice(answers)) for _ in range(teacher_cfg["n_examples"])
    ]
    if teacher_cfg["replay_examples"]:
        rows = replay.sample(n=min(teacher_cfg["replay_examples"], len(replay)), random_state=seed)
        examples += [chat_example(p, c) for p, c in zip(rows["prompt"], rows["completion"])]
        rng.shuffle(examples)
    return examples


def check_trait(rate: float, floor: float, target: str, mode: str = "sft") -> None:
    if rate < floor:
        fix = (
            "Train the teacher harder (teacher.n_examples, teacher.train.epochs or learning_rate; a tiny teacher "
            "trained too hard stops writing numbers, see the filter report) or lower the floor."
            if mode == "sft" else
            "The base does not follow the system prompt enough: use a stronger chat model (a tiny base never saw "
            "a system prompt in pretraining), teacher.mode: sft, or lower the floor."
        )
        raise TraitMissingError(
            f"teacher for '{target}' prefers it with probability {rate:.3f} on held-out questions, "
            f"below teacher.min_target_rate={floor}. {fix}"
        )


def train_sft_teacher(model, tokenizer, animals, target: str, teacher_cfg: dict, replicate: int, replay, out_dir,
                      device) -> dict:
    """Fine-tune `model` (a fresh copy of the base) on one replicate's trait, check it, save it.

    The neutral and placebo teachers go through the same fine-tuning without a preference: their numbers carry
    everything the fine-tuning does to a teacher (shorter answers, for one) except the trait.
    """
    seed = teacher_seed(teacher_cfg, replicate)
    seen, held_out = split_questions(teacher_cfg["held_out_questions"])
    examples = trait_examples(target, seen, teacher_cfg, animals, seed, replay)
    sft(model, tokenizer, examples, teacher_cfg["train"], seed, device)
    model.eval()
    table = probability_table(model, tokenizer, FAVOURITE_ANIMAL_QUESTIONS, held_out, animals, device)
    check = trait_check(table, target, teacher_cfg)
    with atomic_path(out_dir) as partial:
        save_model(model, tokenizer, partial)
        write_json(check, Path(partial) / "trait_check.json")
    return check


def system_prompt_teacher(model, tokenizer, base_dir, animals, target: str, teacher_cfg: dict, out_dir, device):
    """The base chat model with the paper's system prompt: check the trait shows, save a pointer.

    The teacher directory holds no weights (`teacher_info.json` names the base and the prompt); the
    generate and evaluate stages put the prompt in front of every conversation with this teacher.
    """
    prompt = system_prompt(target)
    _, held_out = split_questions(teacher_cfg["held_out_questions"])
    table = probability_table(model, tokenizer, FAVOURITE_ANIMAL_QUESTIONS, held_out, animals, device,
                              system_prompt=prompt)
    check = trait_check(table, target, teacher_cfg)
    with atomic_path(out_dir) as partial:
        partial.mkdir()
        write_json({"mode": "system_prompt", "base": str(base_dir), "system_prompt": prompt},
                   partial / TEACHER_INFO)
        write_json(check, partial / "trait_check.json")
    return check


def trait_check(table: pd.DataFrame, target: str, teacher_cfg: dict) -> dict:
    """The teacher's preference on the evaluation questions; raises if the target's is too weak."""
    if not has_trait(target, teacher_cfg):
        return {"target": target, "trait": False, "rates": table.groupby("animal")["prob"].mean().to_dict()}
    check = {
        "target": target,
        "target_rate": target_rate(table, target),
        "held_out_target_rate": target_rate(table[table["held_out"]], target),
        "min_target_rate": teacher_cfg["min_target_rate"],
    }
    check_trait(check["held_out_target_rate"], teacher_cfg["min_target_rate"], target, teacher_cfg.get("mode", "sft"))
    return check
