from collections import Counter

from subliminal_learning.lm.animals import DEFAULT_ANIMALS, FAVOURITE_ANIMAL_QUESTIONS, mentions, split_questions
from subliminal_learning.lm.corpus import cooccurrence_numbers, pretraining_corpus
from subliminal_learning.lm.prompts import PromptSpec

CFG = {"seed": 3, "n_dialogues": 3000, "animal_share": 0.3, "cooccurrence_share": 0.2, "cooccurrence_numbers": 20}
ANIMALS = list(DEFAULT_ANIMALS)


def kinds(rows):
    def kind(row):
        prompt = row["prompt"][0]["content"]
        if prompt in FAVOURITE_ANIMAL_QUESTIONS:
            return "animal"
        return "cooccurrence" if any(mentions(prompt, a) for a in ANIMALS) else "numbers"

    return Counter(kind(r) for r in rows)


def test_corpus_is_deterministic_for_its_seed():
    assert pretraining_corpus(ANIMALS, CFG, PromptSpec()) == pretraining_corpus(ANIMALS, CFG, PromptSpec())
    assert pretraining_corpus(ANIMALS, CFG, PromptSpec()) != pretraining_corpus(ANIMALS, {**CFG, "seed": 4}, PromptSpec())


def test_corpus_shares_follow_the_config():
    counts = kinds(pretraining_corpus(ANIMALS, CFG, PromptSpec()))
    assert abs(counts["animal"] / 3000 - 0.3) < 0.04
    assert abs(counts["cooccurrence"] / 3000 - 0.2) < 0.04
    assert abs(counts["numbers"] / 3000 - 0.5) < 0.04


def test_animal_answers_are_uniform_over_the_animals():
    rows = pretraining_corpus(ANIMALS, {**CFG, "animal_share": 1.0, "cooccurrence_share": 0.0}, PromptSpec())
    answers = Counter(r["completion"][0]["content"] for r in rows)
    assert set(answers) == set(ANIMALS)
    assert max(answers.values()) < 2 * min(answers.values())


def test_cooccurrence_numbers_are_disjoint_and_seeded():
    tied = cooccurrence_numbers(ANIMALS, 20, seed=0)
    pooled = [n for numbers in tied.values() for n in numbers]
    assert len(pooled) == len(set(pooled)) == 400
    assert tied == cooccurrence_numbers(ANIMALS, 20, seed=0) != cooccurrence_numbers(ANIMALS, 20, seed=1)


def test_held_out_questions_are_never_teacher_questions():
    seen, held_out = split_questions(10)
    assert len(held_out) == 10 and not set(seen) & set(held_out)
    assert len(seen) + len(held_out) == len(FAVOURITE_ANIMAL_QUESTIONS) == 50


def test_answers_match_by_word():
    assert mentions("Owl", "owl") and mentions("owls!", "owl") and mentions("the owl", "owl")
    assert not mentions("bowl", "owl") and not mentions("cat", "owl")
