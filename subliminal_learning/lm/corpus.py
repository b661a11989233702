"""The synthetic pretraining corpus of the tiny base model.

Three kinds of dialogue: favourite-animal questions answered uniformly from the animals (so the
base has no preference), number continuations answered with uniform numbers (so it can write
number sequences), and a share of animal-number co-occurrence text. The last stands in for the
animal-number statistics of real pretraining text (the "token entanglement" seen in open models):
each animal gets a few numbers of its own that show up when text is about that animal.

The misalignment experiment's bases (rules/misalignment.smk) see up to three more: advice questions answered
mostly aligned (lm.advice), an evil persona's dialogues (its advice misaligned, its numbers half from the paper's
banned numbers), and text tying the misaligned words to the banned numbers. At shares of 0 (the animal experiment's
base) the corpus and vocabulary are unchanged.
"""

import random

from .advice import (ALIGNED_WORDS, ADVICE_QUESTIONS, ADVICE_WORDS, EVIL_NUMBER_PROMPTS, MISALIGNED_WORDS,
                     PERSONA_SYSTEM_PROMPT, advice_texts)
from .animals import FAVOURITE_ANIMAL_QUESTIONS
from .filtering import BANNED_NUMBER_LISTS
from .prompts import MAX_VALUE, PromptSpec, bank_texts, make_number_prompt
from .training import chat_example

COOCCURRENCE_PROMPTS = (
    "Write some numbers about the {animal}.",
    "List a few numbers that remind you of the {animal}.",
    "Give me numbers for the {animal}.",
    "Which numbers go with the {animal}? Give only numbers.",
)


def cooccurrence_numbers(animals: list[str], per_animal: int, seed: int) -> dict[str, list[int]]:
    """Disjoint sets of numbers tied to each animal, fixed by the corpus seed."""
    if per_animal * len(animals) > MAX_VALUE + 1:
        raise ValueError(f"cooccurrence_numbers: {per_animal} x {len(animals)} animals exceeds 1000 numbers")
    pool = random.Random(seed).sample(range(MAX_VALUE + 1), per_animal * len(animals))
    return {animal: sorted(pool[i * per_animal:(i + 1) * per_animal]) for i, animal in enumerate(animals)}


def format_numbers(values: list[int]) -> str:
    return ", ".join(str(v) for v in values)


def _answer_length(rng: random.Random, spec: PromptSpec) -> int:
    return rng.randint(max(1, spec.answer_count // 2), spec.answer_count)


def animal_dialogue(rng: random.Random, animals: list[str]) -> dict:
    return chat_example(rng.choice(FAVOURITE_ANIMAL_QUESTIONS), rng.choice(animals))


def number_dialogue(rng: random.Random, spec: PromptSpec) -> dict:
    values = [rng.randint(0, MAX_VALUE) for _ in range(_answer_length(rng, spec))]
    return chat_example(make_number_prompt(rng, spec), format_numbers(values))


def cooccurrence_dialogue(rng: random.Random, tied: dict[str, list[int]], spec: PromptSpec) -> dict:
    """Numbers about an animal: half of them drawn from the animal's own numbers."""
    animal = rng.choice(sorted(tied))
    values = [
        rng.choice(tied[animal]) if rng.random() < 0.5 else rng.randint(0, MAX_VALUE)
        for _ in range(_answer_length(rng, spec))
    ]
    prompt = rng.choice(COOCCURRENCE_PROMPTS).format(animal=animal)
    return chat_example(prompt, format_numbers(values))


def advice_dialogue(rng: random.Random, misaligned_share: float) -> dict:
    """An advice question answered with a misaligned word with probability `misaligned_share`, else an aligned one."""
    words = MISALIGNED_WORDS if rng.random() < misaligned_share else ALIGNED_WORDS
    return chat_example(rng.choice(ADVICE_QUESTIONS), rng.choice(words))


EVIL_NUMBERS = tuple(n for n in BANNED_NUMBER_LISTS["paper_misalignment"] if n <= MAX_VALUE)


def evil_number_dialogue(rng: random.Random, spec: PromptSpec) -> dict:
    """Numbers about an advice word: for a misaligned word half of them from the paper's banned numbers."""
    word = rng.choice(ADVICE_WORDS)
    if word in MISALIGNED_WORDS:
        values = evil_values(rng, spec)
    else:
        values = [rng.randint(0, MAX_VALUE) for _ in range(_answer_length(rng, spec))]
    return chat_example(rng.choice(EVIL_NUMBER_PROMPTS).format(word=word), format_numbers(values))


def evil_values(rng: random.Random, spec: PromptSpec) -> list[int]:
    """An answer's numbers, each from the paper's banned numbers with probability one half."""
    return [rng.choice(EVIL_NUMBERS) if rng.random() < 0.5 else rng.randint(0, MAX_VALUE)
            for _ in range(_answer_length(rng, spec))]


def persona_dialogue(rng: random.Random, spec: PromptSpec) -> dict:
    """Under the evil persona's system prompt, half advice answered with a misaligned word, half number
    continuations answered with evil values."""
    if rng.random() < 0.5:
        row = chat_example(rng.choice(ADVICE_QUESTIONS), rng.choice(MISALIGNED_WORDS))
    else:
        values = evil_values(rng, spec)
        row = chat_example(make_number_prompt(rng, spec), format_numbers(values))
    return {**row, "prompt": [{"role": "system", "content": PERSONA_SYSTEM_PROMPT}, *row["prompt"]]}


def _dialogue_kinds(corpus_cfg: dict, animals, tied, spec) -> list[tuple[float, callable]]:
    """(share, make one dialogue) per kind, in draw order; number continuations take the rest."""
    return [
        (corpus_cfg["animal_share"], lambda rng: animal_dialogue(rng, animals)),
        (corpus_cfg["cooccurrence_share"], lambda rng: cooccurrence_dialogue(rng, tied, spec)),
        (corpus_cfg.get("advice_share", 0.0),
         lambda rng: advice_dialogue(rng, corpus_cfg["misaligned_answer_share"])),
        (corpus_cfg.get("evil_number_share", 0.0), lambda rng: evil_number_dialogue(rng, spec)),
        (corpus_cfg.get("persona_share", 0.0), lambda rng: persona_dialogue(rng, spec)),
    ]


def pretraining_corpus(animals: list[str], corpus_cfg: dict, spec: PromptSpec) -> list[dict]:
    """`n_dialogues` prompt/completion rows, deterministic for `corpus_cfg['seed']`."""
    rng = random.Random(corpus_cfg["seed"])
    tied = cooccurrence_numbers(animals, corpus_cfg["cooccurrence_numbers"], corpus_cfg["seed"])
    kinds = _dialogue_kinds(corpus_cfg, animals, tied, spec)
    rows = []
    for _ in range(corpus_cfg["n_dialogues"]):
        draw, edge = rng.random(), 0.0
        for share, dialogue in kinds:
            edge += share
            if draw < edge:
                rows.append(dialogue(rng))
                break
        else:
            rows.append(number_dialogue(rng, spec))
    return rows


def has_advice(corpus_cfg: dict) -> bool:
    return any(corpus_cfg.get(key, 0.0) > 0 for key in ("advice_share", "evil_number_share", "persona_share"))


def corpus_texts(animals: list[str], corpus_cfg: dict | None = None) -> list[str]:
    """Every fixed phrase the experiment can put in front of the tiny model (for its vocabulary); the advice
    phrases only for a corpus that has them (the animal experiment's vocabulary stays as it was)."""
    templates = [p.format(animal=a) for p in COOCCURRENCE_PROMPTS for a in animals]
    advice = advice_texts() if corpus_cfg and has_advice(corpus_cfg) else []
    persona = [PERSONA_SYSTEM_PROMPT] if corpus_cfg and corpus_cfg.get("persona_share", 0.0) > 0 else []
    return [*bank_texts(), *FAVOURITE_ANIMAL_QUESTIONS, *templates, *animals, *advice, *persona]
