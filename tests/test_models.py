"""Teacher data, the trait check and the evaluation on a small untrained model (no training, fast)."""

import pandas as pd
import pytest
import torch

from subliminal_learning.lm.animals import DEFAULT_ANIMALS, FAVOURITE_ANIMAL_QUESTIONS, split_questions
from subliminal_learning.lm.corpus import corpus_texts
from subliminal_learning.lm.evaluation import animal_logprobs, probability_table, sampled_answers
from subliminal_learning.lm.generation import sample_completions
from subliminal_learning.lm.modeling import build_tiny_llama
from subliminal_learning.design import NEUTRAL, PLACEBO
from subliminal_learning.lm.teacher import TraitMissingError, check_trait, has_trait, teacher_seed, trait_examples
from subliminal_learning.lm.tokenizer import build_tokenizer

ANIMALS = list(DEFAULT_ANIMALS)
CPU = torch.device("cpu")
MODEL_CFG = {"hidden_size": 32, "intermediate_size": 64, "num_layers": 1, "num_heads": 2, "max_position_embeddings": 128}


@pytest.fixture(scope="module")
def model_and_tokenizer():
    tokenizer = build_tokenizer(corpus_texts(ANIMALS))
    return build_tiny_llama(tokenizer, MODEL_CFG, init_seed=0).eval(), tokenizer


def test_init_seed_decides_the_weights(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    same = build_tiny_llama(tokenizer, MODEL_CFG, init_seed=0)
    other = build_tiny_llama(tokenizer, MODEL_CFG, init_seed=1)
    weight = "model.embed_tokens.weight"
    assert torch.equal(model.state_dict()[weight], same.state_dict()[weight])
    assert not torch.equal(model.state_dict()[weight], other.state_dict()[weight])


def test_trait_examples_use_only_teacher_questions():
    seen, held_out = split_questions(10)
    cfg = {"seed": 0, "n_examples": 200, "replay_examples": 0, "placebo": False}
    examples = trait_examples("owl", seen, cfg, ANIMALS, seed=0)
    assert len(examples) == 200
    assert {e["completion"][0]["content"] for e in examples} == {"owl"}
    assert not {e["prompt"][0]["content"] for e in examples} & set(held_out)


def test_the_neutral_teacher_learns_the_same_questions_without_a_preference():
    seen, _ = split_questions(10)
    cfg = {"seed": 0, "n_examples": 2000, "replay_examples": 0, "placebo": False}
    trait, neutral = trait_examples("owl", seen, cfg, ANIMALS, 0), trait_examples(NEUTRAL, seen, cfg, ANIMALS, 0)
    assert [e["prompt"] for e in trait] == [e["prompt"] for e in neutral]
    answers = pd.Series([e["completion"][0]["content"] for e in neutral]).value_counts()
    assert set(answers.index) == set(ANIMALS) and answers.max() < 2 * answers.min()


def _answers(examples):
    return [e["completion"][0]["content"] for e in examples]


def test_the_placebo_teacher_differs_from_the_control_only_in_its_random_answers():
    seen, _ = split_questions(10)
    cfg = {"seed": 0, "n_examples": 2000, "replay_examples": 0, "placebo": False}
    neutral, placebo = trait_examples(NEUTRAL, seen, cfg, ANIMALS, 7), trait_examples(PLACEBO, seen, cfg, ANIMALS, 7)
    assert [e["prompt"] for e in neutral] == [e["prompt"] for e in placebo]  # the same questions, same order
    assert _answers(neutral) != _answers(placebo)  # its own draw of answers ...
    counts = pd.Series(_answers(placebo)).value_counts()  # ... from the same uniform distribution
    assert set(counts.index) == set(ANIMALS) and counts.max() < 2 * counts.min()


def test_each_replicate_trains_its_teachers_on_its_own_draw():
    seen, _ = split_questions(10)
    cfg = {"seed": 0, "n_examples": 500, "replay_examples": 0, "placebo": False}
    seeds = [teacher_seed(cfg, replicate) for replicate in range(3)]
    assert len(set(seeds)) == 3 and seeds == [teacher_seed(cfg, replicate) for replicate in range(3)]
    draws = [trait_examples(PLACEBO, seen, cfg, ANIMALS, seed) for seed in seeds]
    assert draws[0] != draws[1] != draws[2]
    assert trait_examples("owl", seen, cfg, ANIMALS, seeds[0]) != trait_examples("owl", seen, cfg, ANIMALS, seeds[1])


def test_a_placebo_world_gives_every_teacher_uniform_answers():
    seen, _ = split_questions(10)
    cfg = {"seed": 0, "n_examples": 2000, "replay_examples": 0, "placebo": True}
    owl, eagle = trait_examples("owl", seen, cfg, ANIMALS, 3), trait_examples("eagle", seen, cfg, ANIMALS, 3)
    assert _answers(owl) != _answers(eagle)  # each trait teacher its own draw
    for answers in (_answers(owl), _answers(eagle)):
        counts = pd.Series(answers).value_counts()
        assert set(counts.index) == set(ANIMALS) and counts.max() < 2 * counts.min()
    assert not has_trait("owl", cfg) and has_trait("owl", {**cfg, "placebo": False}) and not has_trait(PLACEBO, {})


def test_replay_mixes_in_the_base_numbers():
    replay = pd.DataFrame({"prompt": [f"p{i}" for i in range(50)], "completion": ["1, 2"] * 50})
    examples = trait_examples("owl", ["q"], {"seed": 0, "n_examples": 20, "replay_examples": 30, "placebo": False}, ANIMALS, 0, replay)
    answers = [e["completion"][0]["content"] for e in examples]
    assert answers.count("owl") == 20 and answers.count("1, 2") == 30


def test_a_teacher_without_the_trait_stops_the_run():
    check_trait(0.6, 0.5, "owl")
    with pytest.raises(TraitMissingError, match="teacher.min_target_rate=0.5"):
        check_trait(0.1, 0.5, "owl")


def test_probabilities_renormalise_over_the_animals(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    table = probability_table(model, tokenizer, FAVOURITE_ANIMAL_QUESTIONS[:3], (), ANIMALS, CPU)
    assert len(table) == 3 * len(ANIMALS)
    assert table.groupby("question_id")["prob"].sum().round(6).eq(1).all()


def test_multi_token_names_are_scored_as_a_whole(model_and_tokenizer):
    """A two-token name gets the sum of its tokens' log-probabilities, so it scores below its first token."""
    model, tokenizer = model_and_tokenizer
    logp = animal_logprobs(model, tokenizer, FAVOURITE_ANIMAL_QUESTIONS[:2], ["owl", "owl owl"], CPU)
    assert logp.shape == (2, 2)
    assert (logp[:, 1] < logp[:, 0]).all()
    assert len(tokenizer("owl owl", add_special_tokens=False)["input_ids"]) == 2


def full_vocabulary_logprobs(model, tokenizer, questions, animals):
    """The reference: each question + name scored alone, with logits at every position."""
    scores = torch.zeros(len(questions), len(animals))
    for q, question in enumerate(questions):
        prompt = tokenizer.apply_chat_template([{"role": "user", "content": question}], tokenize=True,
                                               add_generation_prompt=True, return_dict=True)["input_ids"]
        for a, animal in enumerate(animals):
            answer = tokenizer(animal, add_special_tokens=False)["input_ids"]
            with torch.inference_mode():
                logits = model(input_ids=torch.tensor([prompt + answer])).logits[0]
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            scores[q, a] = sum(logprobs[len(prompt) - 1 + i, token] for i, token in enumerate(answer))
    return scores


def test_shared_prompt_and_head_only_where_scored_change_no_score(model_and_tokenizer):
    """The prompt's cache shared by the padded answers, the head applied only at the scored positions: the
    same log-probabilities as full-vocabulary logits of each question + name alone."""
    model, tokenizer = model_and_tokenizer
    questions, animals = FAVOURITE_ANIMAL_QUESTIONS[:3], ["owl", "owl owl", "dolphin", "cat"]
    scored = animal_logprobs(model, tokenizer, questions, animals, CPU)
    torch.testing.assert_close(scored, full_vocabulary_logprobs(model, tokenizer, questions, animals),
                               rtol=1e-5, atol=1e-5)


def test_sampling_is_reproducible_for_a_seed(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    prompts = list(FAVOURITE_ANIMAL_QUESTIONS[:6])

    def draw(seed):
        return sample_completions(model, tokenizer, prompts, batch_size=3, max_new_tokens=5, temperature=1.0,
                                  seed=seed, device=CPU)

    assert draw(0) == draw(0) != draw(1)


def test_sampled_answers_table(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    cfg = {"samples_per_question": 3, "batch_size": 16, "max_new_tokens": 3, "temperature": 1.0, "seed": 0}
    questions = FAVOURITE_ANIMAL_QUESTIONS[:4]
    table = sampled_answers(model, tokenizer, questions, questions[-1:], cfg, CPU)
    assert len(table) == 12 and table["sample"].max() == 2
    assert table.groupby("question_id").size().eq(3).all() and table["held_out"].sum() == 3
