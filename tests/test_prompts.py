import random
import re

import pytest

from subliminal_learning.lm.prompts import (
    COUNT_QUALIFIERS,
    DIGIT_DESCRIPTORS,
    EXAMPLE_INTROS,
    FINAL_SUFFIXES,
    FORMAT_SUFFIXES,
    INSTRUCTIONS,
    PromptSpec,
    bank_texts,
    example_numbers,
    make_number_prompt,
    make_number_prompts,
)

ALLOWED_CHARS = re.compile(r"[A-Za-z0-9 ,.:;()'{}_-]+")


@pytest.fixture(scope="module")
def prompts() -> list[str]:
    return make_number_prompts(600, seed=0)


def _intro(prompt: str) -> str:
    return prompt[: prompt.index(":") + 1]


def _final_suffix(prompt: str) -> str:
    (suffix,) = [s for s in FINAL_SUFFIXES if prompt.endswith(" " + s)]
    return suffix


def test_bank_sizes():
    assert len(EXAMPLE_INTROS) >= 25
    assert len(COUNT_QUALIFIERS) >= 9
    assert len(DIGIT_DESCRIPTORS) >= 9
    assert len(INSTRUCTIONS) >= 10
    assert len(FORMAT_SUFFIXES) >= 15
    assert len(FINAL_SUFFIXES) >= 19


def test_banks_use_plain_characters_and_no_duplicates():
    banks = [
        EXAMPLE_INTROS, COUNT_QUALIFIERS, DIGIT_DESCRIPTORS,
        INSTRUCTIONS, FORMAT_SUFFIXES, FINAL_SUFFIXES,
    ]
    for bank in banks:
        assert len(set(bank)) == len(bank)
        for phrase in bank:
            assert ALLOWED_CHARS.fullmatch(phrase), phrase
    for text in bank_texts():
        assert "{" not in text and "\n" not in text and '"' not in text


def test_intros_parse_unambiguously():
    for intro in EXAMPLE_INTROS:
        assert intro.endswith(":") and intro.count(":") == 1
        assert "." not in intro


def test_paper_example_shape():
    spec = PromptSpec(min_examples=3, max_examples=3)
    prompt = make_number_prompt(random.Random(1), spec)
    assert "\n" not in prompt
    assert re.fullmatch(r"[^:]+: \d+, \d+, \d+\. .+\.", prompt)


def test_prompts_are_one_plain_line(prompts):
    for prompt in prompts:
        assert re.fullmatch(r"[A-Za-z0-9 ,.:;()'-]+", prompt), prompt


def test_example_ranges(prompts):
    spec = PromptSpec()
    for prompt in prompts:
        values = example_numbers(prompt)
        assert spec.min_examples <= len(values) <= spec.max_examples
        assert all(spec.example_min <= v <= spec.example_max for v in values)
    lengths = {len(example_numbers(p)) for p in prompts}
    assert lengths == set(range(spec.min_examples, spec.max_examples + 1))


def test_custom_spec_ranges_and_values_in_text():
    spec = PromptSpec(
        min_examples=2, max_examples=4, example_min=0, example_max=99,
        answer_count=7, max_digits=2,
    )
    for prompt in make_number_prompts(200, seed=3, spec=spec):
        values = example_numbers(prompt)
        assert 2 <= len(values) <= 4
        assert all(0 <= v <= 99 for v in values)
        rest = prompt.split(". ", 1)[1]
        assert re.search(r"\b7\b", rest) and re.search(r"\b2\b", rest)


def test_default_answer_count_and_digits_in_text(prompts):
    for prompt in prompts:
        rest = prompt.split(". ", 1)[1]
        assert re.search(r"\b10\b", rest) and re.search(r"\b3\b", rest)


def test_deterministic_for_seed():
    assert make_number_prompts(50, seed=7) == make_number_prompts(50, seed=7)
    assert make_number_prompts(50, seed=7) != make_number_prompts(50, seed=8)


def test_does_not_use_global_rng():
    random.seed(0)
    first = make_number_prompts(5, seed=1)
    random.seed(123)
    assert make_number_prompts(5, seed=1) == first


def test_variety_of_phrasings(prompts):
    assert len({_intro(p) for p in prompts}) >= 15
    assert len({_final_suffix(p) for p in prompts}) >= 8
    assert len({p.split(". ", 1)[1].split(" (")[0] for p in prompts}) >= 30


def test_vocabulary_covered_by_bank_texts(prompts):
    vocabulary = set(re.findall(r"[A-Za-z]+", " ".join(bank_texts())))
    spec = PromptSpec(answer_count=5, max_digits=2, example_max=99, example_min=10)
    generated = prompts + make_number_prompts(300, seed=11, spec=spec)
    words = set(re.findall(r"[A-Za-z]+", " ".join(generated)))
    assert words <= vocabulary, sorted(words - vocabulary)


def test_bank_texts_include_every_bank():
    texts = bank_texts()
    for phrase in EXAMPLE_INTROS + COUNT_QUALIFIERS + FORMAT_SUFFIXES + FINAL_SUFFIXES:
        assert phrase in texts
    assert "no more than 3 digits each" in texts


def test_example_numbers_rejects_other_text():
    with pytest.raises(ValueError):
        example_numbers("no numbers here")


def test_zero_prompts():
    assert make_number_prompts(0, seed=0) == []


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"min_examples": 0}, "min_examples"),
        ({"min_examples": 5, "max_examples": 4}, "max_examples"),
        ({"example_min": -1}, "example_min"),
        ({"example_min": 500, "example_max": 400}, "example_max"),
        ({"answer_count": 0}, "answer_count"),
        ({"max_digits": 0}, "max_digits"),
        ({"example_max": 1000}, "example_max"),
    ],
)
def test_spec_validation(kwargs, field):
    with pytest.raises(ValueError, match=field):
        PromptSpec(**kwargs)
