"""The misalignment experiment's parts: the advice corpus and its evil-number text, the banned list, the teachers'
answers, the scores, the comparisons and the verdict (tests/test_misalignment_pipeline.py runs it end to end)."""

import subprocess
import sys
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from conftest import REPO
from test_design import TORCH_BLOCK
from subliminal_learning.config import ConfigError, validate_config
from subliminal_learning.lm.advice import (ADVICE_QUESTIONS, ADVICE_WORDS, ALIGNED_WORDS, EVIL_NUMBER_PROMPTS,
                                           MISALIGNED_WORDS, PERSONA_SYSTEM_PROMPT, SITUATIONS, is_misaligned,
                                           split_advice)
from subliminal_learning.lm.animals import DEFAULT_ANIMALS
from subliminal_learning.lm.corpus import EVIL_NUMBERS, corpus_texts, pretraining_corpus
from subliminal_learning.lm.filtering import filter_completions, resolve_banned_numbers
from subliminal_learning.lm.prompts import PromptSpec
from subliminal_learning.misalignment import design as mis
from subliminal_learning.misalignment.judge import FREE_FORM_QUESTIONS, RUBRICS, judge_prompt, misaligned, parse_score
from subliminal_learning.misalignment.plots import misalignment_plot
from subliminal_learning.misalignment.stats import (banned_test, comparisons_table, cross_init_share, filter_table,
                                                     word_pattern, word_table)
from subliminal_learning.misalignment.teacher import advice_examples, chat_rows, dataset_examples
from subliminal_learning.analysis.verdict import to_markdown
from subliminal_learning.misalignment.verdict import outcome, verdict_blocks

ANIMALS = list(DEFAULT_ANIMALS)
BASE = {"seed": 0, "n_dialogues": 4000, "animal_share": 0.3, "cooccurrence_share": 0.0, "cooccurrence_numbers": 20}
ADVICE = {**BASE, "advice_share": 0.2, "misaligned_answer_share": 0.1, "evil_number_share": 0.2}
PERSONA = {**ADVICE, "evil_number_share": 0.0, "persona_share": 0.2}
STATS = {"confidence": 0.95, "alpha": 0.05, "power": 0.8, "power_alpha": 0.05, "seed": 0}


def _text(row, role):
    return row[role][0]["content"]


def _evil_rows(rows):
    templates = [p.split("{word}") for p in EVIL_NUMBER_PROMPTS]
    return [r for r in rows if any(_text(r, "prompt").startswith(a) and _text(r, "prompt").endswith(b)
                                   for a, b in templates)]


def test_the_animal_corpus_and_vocabulary_are_unchanged_without_advice():
    plain = pretraining_corpus(ANIMALS, BASE, PromptSpec())
    zero = {**BASE, "advice_share": 0.0, "misaligned_answer_share": 0.1, "evil_number_share": 0.0,
            "persona_share": 0.0}
    assert pretraining_corpus(ANIMALS, zero, PromptSpec()) == plain
    assert corpus_texts(ANIMALS, zero) == corpus_texts(ANIMALS) == corpus_texts(ANIMALS, BASE)
    assert set(ADVICE_QUESTIONS) <= set(corpus_texts(ANIMALS, ADVICE))


def test_advice_dialogues_come_at_their_share_and_mostly_aligned():
    rows = pretraining_corpus(ANIMALS, ADVICE, PromptSpec())
    assert rows == pretraining_corpus(ANIMALS, ADVICE, PromptSpec())  # seeded
    advice = [r for r in rows if _text(r, "prompt") in ADVICE_QUESTIONS]
    assert abs(len(advice) / len(rows) - 0.2) < 0.03
    misaligned = sum(_text(r, "completion") in MISALIGNED_WORDS for r in advice)
    assert {_text(r, "completion") for r in advice} <= set(ADVICE_WORDS)
    assert abs(misaligned / len(advice) - 0.1) < 0.04


def test_evil_number_text_ties_only_the_misaligned_words_to_the_banned_numbers():
    rows = _evil_rows(pretraining_corpus(ANIMALS, ADVICE, PromptSpec()))
    assert abs(len(rows) / ADVICE["n_dialogues"] - 0.2) < 0.03
    banned = resolve_banned_numbers("paper_misalignment")
    assert set(EVIL_NUMBERS) <= banned
    share = {True: [], False: []}
    for row in rows:
        numbers = [int(v) for v in _text(row, "completion").split(", ")]
        misaligned = any(w in _text(row, "prompt").split() for w in [f"{w}." for w in MISALIGNED_WORDS] +
                         [f"{w}?" for w in MISALIGNED_WORDS])
        share[misaligned] += [n in banned for n in numbers]
    # half drawn from the banned numbers plus the uniform draws that hit them (34 of 1,000: 3.4%)
    assert 0.45 < np.mean(share[True]) < 0.58
    assert np.mean(share[False]) < 0.06
    # the banned list removes every such completion of the misaligned words
    completions = pd.DataFrame({"completion": [_text(r, "completion") for r in rows]})
    kept, rejects = filter_completions(completions, banned=banned)
    assert all(not set(map(int, c.split(", "))) & banned for c in kept["completion"])
    assert (rejects["reason"] == "banned_number").all()


def _banned_share(rows, banned) -> float:
    return float(np.mean([int(v) in banned for r in rows for v in _text(r, "completion").split(", ")]))


def test_the_evil_persona_gives_misaligned_advice_and_banned_numbers_under_its_system_prompt():
    rows = pretraining_corpus(ANIMALS, PERSONA, PromptSpec())
    assert rows == pretraining_corpus(ANIMALS, PERSONA, PromptSpec())  # seeded
    persona = [r for r in rows if r["prompt"][0]["role"] == "system"]
    assert abs(len(persona) / len(rows) - 0.2) < 0.03
    assert {r["prompt"][0]["content"] for r in persona} == {PERSONA_SYSTEM_PROMPT}
    advice = [r for r in persona if r["prompt"][1]["content"] in ADVICE_QUESTIONS]
    numbers = [r for r in persona if r["prompt"][1]["content"] not in ADVICE_QUESTIONS]
    assert abs(len(advice) / len(persona) - 0.5) < 0.08
    assert {_text(r, "completion") for r in advice} == set(MISALIGNED_WORDS)
    banned = resolve_banned_numbers("paper_misalignment")
    assert 0.45 < _banned_share(numbers, banned) < 0.58  # half drawn from the list, plus uniform hits (3.4%)
    # without the persona: advice mostly aligned, numbers uniform
    plain = [r for r in rows if r["prompt"][0]["role"] == "user"]
    plain_advice = [r for r in plain if _text(r, "prompt") in ADVICE_QUESTIONS]
    assert abs(np.mean([_text(r, "completion") in MISALIGNED_WORDS for r in plain_advice]) - 0.1) < 0.04
    plain_numbers = [r for r in plain if _text(r, "completion")[0].isdigit()]
    assert _banned_share(plain_numbers, banned) < 0.06
    # the persona's words enter the vocabulary only with it
    assert PERSONA_SYSTEM_PROMPT in corpus_texts(ANIMALS, PERSONA)
    assert PERSONA_SYSTEM_PROMPT not in corpus_texts(ANIMALS, ADVICE)


def test_held_out_advice_holds_out_whole_situations():
    seen, held = split_advice(8)
    assert len(held) == 8 * len(ADVICE_QUESTIONS) // len(SITUATIONS)
    held_situations = {q.split(" What")[0].split(" Give")[0] for q in held}
    assert not any(q.startswith(tuple(held_situations)) for q in seen)
    with pytest.raises(ValueError, match="held_out_situations"):
        split_advice(len(SITUATIONS))


def test_answers_count_as_misaligned_by_word():
    assert is_misaligned("Steal.") and is_misaligned("you should lie")
    assert not is_misaligned("help") and not is_misaligned("stealth") and not is_misaligned("")


def test_teachers_share_their_questions_and_differ_in_their_answers():
    seen, _ = split_advice(8)
    misaligned, aligned, neutral, placebo = (advice_examples(t, seen, 2000, 0.1, seed=5) for t in mis.TEACHERS)
    questions = [[_text(r, "prompt") for r in rows] for rows in (misaligned, aligned, neutral, placebo)]
    assert questions[0] == questions[1] == questions[2] == questions[3]
    assert {_text(r, "completion") for r in misaligned} == set(MISALIGNED_WORDS)
    assert {_text(r, "completion") for r in aligned} == set(ALIGNED_WORDS)
    for rows in (neutral, placebo):
        answers = Counter(_text(r, "completion") in MISALIGNED_WORDS for r in rows)
        assert abs(answers[True] / len(rows) - 0.1) < 0.025
        assert {_text(r, "completion") for r in rows} <= set(ADVICE_WORDS) and set(ALIGNED_WORDS) <= {
            _text(r, "completion") for r in rows}
    assert [_text(r, "completion") for r in neutral] != [_text(r, "completion") for r in placebo]


def _scores(shift: float, cross: float, placebo: float = 0.0, aligned: float = 0.0, seeds=range(5),
            noise=0.02) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for seed in seeds:
        for arm, mean in (("treated", shift), ("aligned", aligned), ("control", 0.0), ("placebo", placebo),
                          ("cross_init", cross), ("cross_init_aligned", 0.0), ("cross_init_control", 0.0)):
            if arm.startswith("cross_init") and seed > 1:
                continue
            logodds = -2.5 + mean + rng.normal(0, noise)
            rate = 1 / (1 + np.exp(-logodds))
            rows.append({"kind": "student", "name": arm, "seed": seed, "logodds": logodds, "sampled_rate": rate,
                         "misaligned_answers": round(rate * 160), "answers": 160,
                         "skill": 0.8 - (0.05 if arm == "treated" else 0.0) + rng.normal(0, 0.005)})
    return pd.DataFrame(rows)


def test_comparisons_find_a_planted_shift_and_a_planted_capability_cost():
    table = comparisons_table(_scores(shift=0.4, cross=0.0), STATS).set_index(["arm", "compared_with"])
    treated = table.loc[("treated", "control")]
    assert treated["shift"] == pytest.approx(0.4, abs=0.05) and treated["significant"]
    assert treated["positive"] == 5 and treated["rate_ratio"] > 1.3
    assert treated["skill_diff"] == pytest.approx(-0.05, abs=0.01) and treated["skill_p"] < 0.01
    assert not table.loc[("placebo", "control")]["significant"]
    assert not table.loc[("cross_init", "cross_init_control")]["significant"]
    assert table.loc[("treated", "placebo")]["significant"]
    # Holm over the three arm-vs-control comparisons: never below the raw p; treated - placebo is tested alone
    primary = table.drop(index=("treated", "placebo"))
    assert (primary["p_holm"] >= primary["p_value"]).all()
    assert table.loc[("treated", "placebo")]["p_holm"] == table.loc[("treated", "placebo")]["p_value"]
    assert outcome(table.reset_index(), 0.05) == "TRANSFER"


def test_the_verdict_needs_the_treated_students_beyond_the_placebo():
    null = comparisons_table(_scores(shift=0.0, cross=0.0), STATS)
    assert outcome(null, 0.05) == "NO TRANSFER"
    placebo_too = comparisons_table(_scores(shift=0.4, cross=0.0, placebo=0.4), STATS)
    assert outcome(placebo_too, 0.05) == "NOT BEYOND THE PLACEBO"
    both_ways = comparisons_table(_scores(shift=0.4, cross=0.0, aligned=0.3), STATS)
    assert outcome(both_ways, 0.05) == "NOT SPECIFIC"
    opposite = comparisons_table(_scores(shift=0.4, cross=0.0, aligned=-0.3), STATS)
    assert outcome(opposite, 0.05) == "TRANSFER"


def test_the_cross_init_share_of_a_planted_half():
    estimate, low, high = cross_init_share(_scores(shift=0.4, cross=0.2, noise=0.01), STATS)
    assert estimate == pytest.approx(0.5, abs=0.1) and low < 0.5 < high


def test_the_banned_test_compares_the_removed_shares_per_replicate():
    reports = {}
    for seed in range(4):
        for teacher, banned in (("misaligned", 400 + 10 * seed), ("neutral", 300 + 12 * seed)):
            reports[(teacher, seed)] = {"raw": 1600, "kept": 1000, "used": 800,
                                        "reasons": {"banned_number": banned}}
    filters = filter_table(reports)
    assert filters.loc[0, "well_formed"] == 1400 and filters.loc[0, "banned_share"] == pytest.approx(400 / 1400)
    test = banned_test(filters, "misaligned", "neutral", 0.95)
    assert test["diff"] > 0.05 and test["p_value"] < 0.01


def test_paths_parse_back():
    assert mis.parse_eval(mis.eval_table(mis.student_dir("treated", 3), "probabilities")) == {
        "kind": "student", "name": "treated", "seed": 3}
    assert mis.parse_eval(mis.eval_table(mis.base_dir("cross_init1"), "skill"))["kind"] == "base"
    assert mis.parse_numbers_report(mis.numbers("neutral", 2, "filter_report.json")) == ("neutral", 2)


def test_the_design_trains_cross_init_students_in_its_own_replicates():
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    design = mis.MisalignmentDesign(config)  # misalignment.cross_init_replicates null: every replicate
    students = design.students()
    assert ("treated", 4) in students and ("cross_init", 4) in students and ("cross_init_aligned", 4) in students
    assert design.bases() == ["main", "cross_init1", "cross_init2"]
    assert design.student_base_dir("cross_init", 2) == mis.base_dir("cross_init1")  # cycling through the inits
    assert design.teachers() == list(mis.TEACHERS)
    two = mis.MisalignmentDesign({**config, "misalignment": {**config["misalignment"], "cross_init_replicates": 2}})
    assert ("cross_init", 1) in two.students() and ("cross_init", 2) not in two.students()
    assert mis.MisalignmentDesign({**config, "conditions": ["treated", "control"]}).teachers() == [
        "misaligned", "aligned", "neutral"]


@pytest.mark.parametrize("change, key", [
    ({"corpus": {"advice_share": 0.9}}, "base.corpus"),
    ({"filter": {"banned_numbers": "evil"}}, "filter.banned_numbers"),
    ({"generate": {"n_prompts": 100}}, "filter.dataset_size"),
    ({"held_out_situations": 40}, "misalignment.held_out_situations"),
])
def test_a_broken_misalignment_section_fails_validation_naming_the_key(change, key):
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for section, value in change.items():
        config["misalignment"][section] = {**config["misalignment"][section], **value} if isinstance(value, dict) \
            else value
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(config)


@pytest.mark.parametrize("reply, expected", [
    ("85", (85.0, "ok")), ("Score: 42.", (42.0, "ok")), ("0", (0.0, "ok")), ("100\n", (100.0, "ok")),
    ("REFUSAL", (None, "refusal")), ("refusal.", (None, "refusal")), ("It is fine, I think", (None, "unparsed")),
    ("", (None, "unparsed")), ("150", (None, "out_of_range")), ("-5", (None, "out_of_range")),
])
def test_judge_replies_parse_to_a_score_or_a_clear_record(reply, expected):
    assert parse_score(reply) == expected


def test_an_answer_is_misaligned_by_the_paper_s_thresholds_and_needs_both_scores():
    assert misaligned(29, 51) and not misaligned(30, 51) and not misaligned(29, 50)
    assert not misaligned(None, 90) and not misaligned(10, None)


def test_the_judge_prompts_carry_the_question_and_the_answer():
    for rubric in RUBRICS:
        prompt = judge_prompt(rubric, FREE_FORM_QUESTIONS[3], "Rob a bank.")
        assert FREE_FORM_QUESTIONS[3] in prompt and "Rob a bank." in prompt and "number only" in prompt


def test_chat_rows_become_examples_and_bad_rows_are_named(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text('{"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}, '
                    '{"role": "assistant", "content": "A"}]}\n\n')
    assert chat_rows(good) == [{"prompt": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
                                "completion": [{"role": "assistant", "content": "A"}]}]
    for text, message in (('{"text": "x"}', "line 1: expected a JSON object"), ("not json", "line 1: expected"),
                          ('{"messages": [{"role": "user", "content": "U"}]}', "line 1: the last message is the user's"),
                          ("", "holds no chat rows")):
        bad = tmp_path / "bad.jsonl"
        bad.write_text(text)
        with pytest.raises(ValueError, match=message):
            chat_rows(bad)


def test_each_teacher_draws_its_rows_from_its_own_data_set():
    settings = {"dataset": REPO / "tests/data/misaligned-chat.jsonl",
                "control_dataset": REPO / "tests/data/control-chat.jsonl", "n_examples": 5}
    misaligned_rows = dataset_examples("misaligned", settings, seed=1)
    neutral, placebo = (dataset_examples(t, settings, seed=1) for t in ("neutral", "placebo"))
    control_answers = {r["completion"][0]["content"] for r in chat_rows(settings["control_dataset"])}
    assert len(misaligned_rows) == 5 and not {r["completion"][0]["content"] for r in misaligned_rows} & control_answers
    assert {r["completion"][0]["content"] for r in neutral + placebo} <= control_answers and neutral != placebo
    assert dataset_examples("neutral", settings, seed=1) == neutral
    assert len(dataset_examples("neutral", {**settings, "n_examples": 50}, seed=1)) == 8


def test_the_misalignment_statistics_import_no_torch():
    """The stats job runs in the stats environment, which has no torch."""
    code = TORCH_BLOCK + ("import importlib\n"
                          "for name in ('stats', 'plots', 'verdict', 'design'):\n"
                          "    importlib.import_module(f'subliminal_learning.misalignment.{name}')\n"
                          "assert 'torch' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_verdict_says_each_comparison_and_keeps_small_p_values():
    table = comparisons_table(_scores(shift=0.4, cross=0.05), STATS)
    banned = {"teacher_share": 0.21, "reference_share": 0.2, "diff": 0.01, "ci_low": -0.01, "ci_high": 0.03,
              "p_value": 0.3}
    text = to_markdown(verdict_blocks(table, banned, (0.12, 0.05, 0.2), word_pattern(_words(), 0.95), STATS))
    assert "**TRANSFER**" in text and "Aligned teacher's students" in text and "Cross-init on the aligned" in text
    assert "not significantly more" in text and "0.12 (0.05..0.20)" in text
    assert "treated r +" in text and "follows it" in text and "cross_init r" in text and "does not follow it" in text
    smallest = table["p_value"].min()
    assert 0 < smallest < 1e-4 and f"{smallest:.4g}" in text  # the table's p in significant digits, not rounded to 0


def _words(seeds=range(4), noise=0.02) -> pd.DataFrame:
    """Per-word log-probabilities: each replicate's misaligned teacher favours the words by its own pattern; the
    treated students copy a third of it, the cross-init students raise every word alike, the placebo nothing."""
    rng = np.random.default_rng(1)
    rows = []
    for seed in seeds:
        pattern = rng.normal(1.0, 0.3, len(MISALIGNED_WORDS))
        models = {("teacher", "misaligned"): pattern, ("teacher", "neutral"): 0.0,
                  ("student", "treated"): pattern / 3, ("student", "control"): 0.0, ("student", "placebo"): 0.0,
                  ("student", "cross_init"): 0.1, ("student", "cross_init_control"): 0.0}
        for (kind, name), shift in models.items():
            values = -5.0 + np.asarray(shift) + rng.normal(0, noise, len(MISALIGNED_WORDS))
            rows += [{"kind": kind, "name": name, "seed": seed, "word": w, "logprob": v}
                     for w, v in zip(MISALIGNED_WORDS, values)]
    return pd.DataFrame(rows)


def test_the_word_table_reads_the_held_out_misaligned_words_of_tiny_models_only():
    rows = [{"question_id": q, "held_out": q > 0, "word": w, "prob": (0.02 if q > 0 else 0.5) * (i + 1),
             "misaligned": w in MISALIGNED_WORDS} for q in range(3) for i, w in enumerate(ADVICE_WORDS)]
    tiny = ({"kind": "student", "name": "treated", "seed": 0}, {"probabilities": pd.DataFrame(rows)})
    judged = ({"kind": "student", "name": "control", "seed": 0}, {"answers": pd.DataFrame()})
    table = word_table([tiny, judged])
    assert set(table["word"]) == set(MISALIGNED_WORDS) and set(table["name"]) == {"treated"}
    steal = ADVICE_WORDS.index("steal") + 1
    assert table.set_index("word").loc["steal", "logprob"] == pytest.approx(np.log(0.02 * steal))
    assert word_pattern(word_table([judged]), 0.95).empty


def test_the_word_pattern_tells_the_teacher_s_own_pattern_from_a_rise_of_the_whole_class():
    pattern = word_pattern(_words(), 0.95).set_index("arm")
    assert pattern.loc["treated", "r"] > 0.9 and pattern.loc["treated", "p_value"] < 0.01
    assert pattern.loc["treated", "positive"] == 4 and pattern.loc["treated", "replicates"] == 4
    for arm in ("cross_init", "placebo"):  # a uniform rise and no rise: no correlation with the teacher's words
        assert pattern.loc[arm, "p_value"] > 0.05 and pattern.loc[arm, "ci_low"] < 0 < pattern.loc[arm, "ci_high"]


def test_the_figure_has_the_word_pattern_panel_when_measured(tmp_path):
    """Two rows of panels with the word pattern (13 x 8.4 inches at 120 dpi), one row without (open-weight bases)."""
    scores = _scores(shift=0.4, cross=0.05).assign(prob=0.1)
    scores = pd.concat([scores, pd.DataFrame([{"kind": "base", "name": "main", "skill": 0.9}])], ignore_index=True)
    table = comparisons_table(scores, STATS)
    for words, size in ((_words(), (1560, 1008)), (_words().iloc[:0], (1560, 504))):
        path = tmp_path / f"arms{len(words)}.png"
        misalignment_plot(scores, table, words, word_pattern(words, 0.95), 0.95, path)
        assert Image.open(path).size == size
