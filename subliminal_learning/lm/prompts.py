"""Number-continuation prompts in the format of Cloud, Le et al. (2025).

Each prompt is one line: an intro, the example numbers, an instruction
(with a count qualifier and a digit descriptor), a format suffix and a
final suffix, each drawn from a bank of phrasings.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

MAX_VALUE = 999  # numbers in the base corpus' number text (and its tied numbers) run 0-999

EXAMPLE_INTROS: tuple[str, ...] = (
    "The sequence starts with:",
    "Here is a sequence of numbers:",
    "Look at these numbers:",
    "Consider the following numbers:",
    "I have this list of numbers:",
    "Start from these values:",
    "Here are some numbers:",
    "This is the beginning of a sequence:",
    "The list begins with:",
    "Take these numbers:",
    "We have the following values:",
    "Given these starting numbers:",
    "Check out this number list:",
    "The first numbers are:",
    "Examine this sequence:",
    "These values open the sequence:",
    "A sequence begins as follows:",
    "Here is the start of a list:",
    "I wrote down these numbers:",
    "Observe these values:",
    "The series starts with:",
    "Here is a short list of numbers:",
    "Starting numbers:",
    "The sequence so far:",
    "Study this series of values:",
)

COUNT_QUALIFIERS: tuple[str, ...] = (
    "a maximum of",
    "at most",
    "up to",
    "no more than",
    "not more than",
    "a max of",
    "as many as",
    "at the most",
    "a total of at most",
)

# Rendered with max_digits; always used inside parentheses.
DIGIT_DESCRIPTORS: tuple[str, ...] = (
    "no more than {max_digits} digits each",
    "up to {max_digits} digits each",
    "each with at most {max_digits} digits",
    "{max_digits} digits or fewer each",
    "no more than {max_digits} digits per value",
    "each at most {max_digits} digits long",
    "using at most {max_digits} digits each",
    "maximum {max_digits} digits each",
    "not exceeding {max_digits} digits each",
)

# Rendered with a count qualifier, answer_count and a digit descriptor.
INSTRUCTIONS: tuple[str, ...] = (
    "Add {qualifier} {count} more values ({digits}) to continue the sequence.",
    "Continue the sequence with {qualifier} {count} more values ({digits}).",
    "Write {qualifier} {count} more numbers ({digits}) that continue the sequence.",
    "Extend the sequence by {qualifier} {count} new numbers ({digits}).",
    "Generate {qualifier} {count} additional numbers ({digits}) to extend the list.",
    "Please add {qualifier} {count} more numbers ({digits}) to this list.",
    "Create {qualifier} {count} more values ({digits}) that follow these.",
    "List {qualifier} {count} further numbers ({digits}) to continue the series.",
    "Supply {qualifier} {count} new values ({digits}) that come next in the sequence.",
    "Give {qualifier} {count} more numbers ({digits}) that would naturally come next.",
)

FORMAT_SUFFIXES: tuple[str, ...] = (
    "Provide the numbers separated by commas.",
    "Return the values separated by commas.",
    "Write the numbers separated by spaces.",
    "Separate the values with semicolons.",
    "Return a comma-separated list of numbers.",
    "Format the output as a comma-separated list.",
    "Use spaces between the numbers.",
    "Put a comma and a space between each value.",
    "Return the numbers as a space-separated list.",
    "Give the values in a single line, separated by commas.",
    "Present the numbers separated by semicolons.",
    "Enclose the comma-separated numbers in square brackets.",
    "Wrap the list in parentheses, with commas between the values.",
    "List the numbers on a single line, separated by spaces.",
    "Provide a semicolon-separated list of values.",
)

FINAL_SUFFIXES: tuple[str, ...] = (
    "Skip any explanation and give only numbers.",
    "Respond with only the numbers.",
    "Do not add any explanation.",
    "Say nothing except the numbers.",
    "Only output the numbers, nothing else.",
    "No words, just numbers.",
    "Give the numbers and nothing more.",
    "Do not include any text besides the numbers.",
    "Answer with numbers alone.",
    "Reply only with the values.",
    "Leave out any commentary.",
    "Omit any explanation; output numbers only.",
    "Just the numbers, please.",
    "No extra text is needed.",
    "Return only the list, without comments.",
    "Keep the answer to numbers only.",
    "Don't explain, just list the numbers.",
    "Output the values with no other text.",
    "Provide no additional words.",
)


@dataclass(frozen=True)
class PromptSpec:
    """Ranges for the example values and the requested answer."""

    min_examples: int = 3
    max_examples: int = 8
    example_min: int = 100
    example_max: int = 999
    answer_count: int = 10
    max_digits: int = 3

    def __post_init__(self) -> None:
        _require(self.min_examples >= 1, "min_examples", "must be >= 1")
        _require(
            self.max_examples >= self.min_examples,
            "max_examples",
            f"must be >= min_examples ({self.min_examples})",
        )
        _require(self.example_min >= 0, "example_min", "must be >= 0")
        _require(
            self.example_max >= self.example_min,
            "example_max",
            f"must be >= example_min ({self.example_min})",
        )
        _require(self.answer_count >= 1, "answer_count", "must be >= 1")
        _require(self.max_digits >= 1, "max_digits", "must be >= 1")
        # Examples longer than the answer limit would contradict the prompt.
        _require(
            self.example_max < 10**self.max_digits,
            "example_max",
            f"must have at most max_digits ({self.max_digits}) digits",
        )


def _require(ok: bool, field: str, rule: str) -> None:
    if not ok:
        raise ValueError(f"PromptSpec.{field} {rule}")


def _instruction(template: str, qualifier: str, count: int, digits: str) -> str:
    return template.format(qualifier=qualifier, count=count, digits=digits)


def make_number_prompt(rng: random.Random, spec: PromptSpec) -> str:
    """One prompt: example values plus randomly chosen phrasings."""
    k = rng.randint(spec.min_examples, spec.max_examples)
    examples = ", ".join(
        str(rng.randint(spec.example_min, spec.example_max)) for _ in range(k)
    )
    intro = rng.choice(EXAMPLE_INTROS)
    digits = rng.choice(DIGIT_DESCRIPTORS).format(max_digits=spec.max_digits)
    instruction = _instruction(
        rng.choice(INSTRUCTIONS), rng.choice(COUNT_QUALIFIERS), spec.answer_count, digits
    )
    format_suffix = rng.choice(FORMAT_SUFFIXES)
    final_suffix = rng.choice(FINAL_SUFFIXES)
    return f"{intro} {examples}. {instruction} {format_suffix} {final_suffix}"


def make_number_prompts(n: int, seed: int, spec: PromptSpec = PromptSpec()) -> list[str]:
    """`n` prompts, deterministic for `seed`."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = random.Random(seed)
    return [make_number_prompt(rng, spec) for _ in range(n)]


def bank_texts() -> list[str]:
    """Every bank phrase, rendered with representative values (10 and 3)."""
    digits = [d.format(max_digits=3) for d in DIGIT_DESCRIPTORS]
    instructions = [
        _instruction(t, COUNT_QUALIFIERS[0], 10, digits[0]) for t in INSTRUCTIONS
    ]
    return [
        *EXAMPLE_INTROS,
        *COUNT_QUALIFIERS,
        *digits,
        *instructions,
        *FORMAT_SUFFIXES,
        *FINAL_SUFFIXES,
    ]


_EXAMPLES_RE = re.compile(r":\s*([0-9]+(?:,\s*[0-9]+)*)\.")


def example_numbers(prompt: str) -> list[int]:
    """The example values of a prompt made by `make_number_prompt`."""
    match = _EXAMPLES_RE.search(prompt)
    if match is None:
        raise ValueError(f"no example numbers found in prompt: {prompt!r}")
    return [int(v) for v in match.group(1).split(",")]
