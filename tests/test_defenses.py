"""Defenses: each transformation on hand-made rows, the divergence tokens of a planted teacher, the transformed and
alternate distillation targets, truncated sampling, the share-remaining statistics on simulated replicates with a
known reduction, and the defenses' config."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from subliminal_learning.config import ConfigError, validate_config
from subliminal_learning.defenses import targets
from subliminal_learning.defenses.detector import cross_fitted_scores, replace_flagged
from subliminal_learning.defenses.design import DefensesDesign, skipped, transformations
from subliminal_learning.defenses.divergence import divergence, replace_divergent
from subliminal_learning.defenses.rows import dilute, reformat, row_cost, shuffle, tokens_changed
from subliminal_learning.defenses.stage import defended_shifts, parse_numbers
from subliminal_learning.analysis.verdict import to_markdown
from subliminal_learning.defenses.stats import ALL, animal_answers, paired_shifts, shares_table
from subliminal_learning.defenses.verdict import verdict_blocks
from subliminal_learning.design import parse_model
from subliminal_learning.lm.animals import DEFAULT_ANIMALS
from subliminal_learning.lm.corpus import corpus_texts
from subliminal_learning.lm.filtering import parse_numbers as numbers_of
from subliminal_learning.lm.modeling import build_tiny_llama, save_model
from subliminal_learning.lm.sampling import InverseCdfSampler, truncated
from subliminal_learning.lm.student import train_student
from subliminal_learning.lm.tokenizer import build_tokenizer
from subliminal_learning.lm.training import IGNORE, alphabet_logits, chat_example, number_alphabet, tokenized_dataset

CPU = torch.device("cpu")
DEFAULT = yaml.safe_load((Path(__file__).resolve().parent.parent / "config.yaml").read_text())
MODEL_CFG = {"hidden_size": 32, "intermediate_size": 64, "num_layers": 1, "num_heads": 2, "max_position_embeddings": 128}
ROWS = pd.DataFrame({"prompt_id": [0, 1, 2], "prompt": ["a", "b", "c"],
                     "completion": ["(1; 2; 3).", "4 5 6", "7, 8, 9, 10"]})


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer(corpus_texts(list(DEFAULT_ANIMALS)))


# The rows defenses
def test_reformat_writes_every_kept_format_as_one():
    out = reformat(ROWS)
    assert out["completion"].tolist() == ["1, 2, 3", "4, 5, 6", "7, 8, 9, 10"]
    assert not out["alternate_row"].any() and out["alternate_positions"].map(len).sum() == 0
    # "(1; 2; 3)." -> 1 , 2 , 3: the two commas are new; "4 5 6" -> two commas new; the third row is unchanged
    assert tokens_changed(ROWS["completion"], out["completion"]) == (4, 17)
    assert row_cost(ROWS, out) == {"rows": 3, "rows_lost": 0, "tokens_changed": 4, "tokens": 17,
                                   "alternate_rows": 0, "alternate_positions": 0}


def test_a_reformat_of_a_row_the_filter_would_reject_fails_naming_it():
    with pytest.raises(ValueError, match="the filter would reject"):
        reformat(ROWS.assign(completion=["1, two", "3", "4"]))


def test_shuffle_permutes_each_row_s_numbers_and_keeps_its_format():
    rows = pd.DataFrame({"prompt": ["p"] * 50, "completion": [f"({i}; {i + 100}; {i + 200}; {i + 300})." for i in
                                                               range(50)]})
    out = shuffle(rows, seed=3)
    for before, after in zip(rows["completion"], out["completion"]):
        assert sorted(numbers_of(after)) == sorted(numbers_of(before))
        assert after.replace("0", "").strip("0123456789") == after.replace("0", "").strip("0123456789")
        assert [c for c in after if not c.isdigit()] == [c for c in before if not c.isdigit()]
    assert (out["completion"] != rows["completion"]).mean() > 0.8  # 23 of 24 orders of four numbers are new
    assert out["completion"].tolist() == shuffle(rows, seed=3)["completion"].tolist()
    assert out["completion"].tolist() != shuffle(rows, seed=4)["completion"].tolist()


@pytest.mark.parametrize("share", [0.25, 0.5, 0.9])
def test_dilution_swaps_exactly_its_share_of_rows_for_the_other_teacher_s(share):
    own = pd.DataFrame({"prompt": [f"own {i}" for i in range(40)], "completion": [f"{i}, 1" for i in range(40)]})
    other = pd.DataFrame({"prompt": [f"other {i}" for i in range(60)], "completion": [f"{i}, 2" for i in range(60)],
                          "extra": 0})
    out = dilute(own, other, share, seed=0)
    swapped = out["alternate_row"].to_numpy()
    assert list(out.columns[:2]) == ["prompt", "completion"] and len(out) == 40
    assert swapped.sum() == round(share * 40)
    assert out["prompt"][swapped].str.startswith("other").all() and out["prompt"][swapped].is_unique
    assert out[~swapped][["prompt", "completion"]].equals(own[~swapped])
    cost = row_cost(own, out)
    assert cost["alternate_rows"] == swapped.sum() and cost["tokens_changed"] == 3 * swapped.sum()


def test_dilution_needs_enough_rows_of_the_other_teacher():
    with pytest.raises(ValueError, match="needs 3 rows"):
        dilute(ROWS, ROWS.iloc[:2], 1.0, seed=0)


# The detector
def test_the_detector_replaces_its_share_of_the_highest_scoring_rows_with_unseen_rows_of_the_teacher():
    rows = pd.DataFrame({"prompt_id": range(8), "prompt": ["p"] * 8, "completion": [f"{i}, {i}" for i in range(8)]})
    spare = pd.DataFrame({"prompt_id": range(100, 110), "prompt": ["q"] * 10,
                          "completion": [f"{i}, {i}, {i}" for i in range(100, 110)], "extra": 1})
    scores = np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.0, 0.4, 0.5])
    out = replace_flagged(rows, spare, scores, 0.25, seed=0)
    assert out["replaced_row"].tolist() == [False, True, False, True, False, False, False, False]
    assert out["prompt_id"][out["replaced_row"]].isin(spare["prompt_id"]).all()
    assert out["prompt_id"][out["replaced_row"]].is_unique
    assert out[~out["replaced_row"]][["prompt_id", "completion"]].equals(rows[~out["replaced_row"]][["prompt_id",
                                                                                                      "completion"]])
    assert out["detector_score"].tolist() == scores.tolist() and not out["alternate_row"].any()
    cost = row_cost(rows, out)
    assert cost["rows_lost"] == 2 and cost["alternate_rows"] == 0
    assert cost["tokens_changed"] == 2 * 5  # each replaced row's own tokens: n , n , n
    assert out["prompt_id"].tolist() == replace_flagged(rows, spare, scores, 0.25, seed=0)["prompt_id"].tolist()


def test_the_detector_needs_enough_unseen_rows_and_says_which_setting_to_change():
    rows = pd.DataFrame({"prompt": ["p"] * 10, "completion": ["1, 2"] * 10})
    with pytest.raises(ValueError, match="replaces 5 rows .* kept only 2 .* lower the defense's share"):
        replace_flagged(rows, rows.iloc[:2], np.zeros(10), 0.5, seed=0)


def test_cross_fitted_scores_flag_the_rows_a_canary_of_the_other_half_learned(tok, tmp_path):
    save_model(build_tiny_llama(tok, MODEL_CFG, init_seed=0), tok, tmp_path / "base")
    rng = np.random.default_rng(0)
    planted = ["4, 5, 6, 7"] * 16  # the trait: one sequence, in half the rows
    plain = [", ".join(str(n) for n in rng.integers(100, 999, 4)) for _ in range(16)]
    rows = pd.DataFrame({"prompt": ["Continue: 1, 2, 3."] * 32, "completion": planted + plain})
    student = {"lora": None, "train": {"epochs": 2, "learning_rate": 1e-2, "batch_size": 4}}
    scores = cross_fitted_scores(rows, tmp_path / "base", None, student, seed=0, device=CPU)
    assert scores[:16].min() > scores[16:].max()  # every planted row, scored by the canary of the other half
    flagged = replace_flagged(rows, rows.iloc[:16].assign(completion="1, 1"), scores, 0.25, seed=0)["replaced_row"]
    assert flagged[:16].sum() == 8 and flagged[16:].sum() == 0
    assert np.array_equal(scores, cross_fitted_scores(rows, tmp_path / "base", None, student, seed=0, device=CPU))


# Divergence tokens
class DigitTokenizer:
    """A tokenizer whose tokens are digit strings (ids 0-9 numbers, 10 a comma, 11 the end of the turn)."""
    eos_token_id = 11

    def decode(self, ids, skip_special_tokens=False):
        return "".join({10: ",", 11: ""}.get(i, str(i)) for i in ids)


def test_divergent_positions_take_the_base_s_choice_where_it_is_of_the_same_kind():
    completion = [1, 10, 2, 10, 3, 11]
    teacher = [1, 10, 5, 10, 7, 11]      # diverges at 2 (a number) and 4 (a number)
    base = [1, 10, 2, 10, 10, 11]        # the base's choice at 4 is a comma: a number stays a number
    replaced, divergent = replace_divergent(DigitTokenizer(), completion, teacher, base)
    assert divergent == [2, 4]
    assert replaced == [1, 10, 2, 10, 3, 11]  # position 2 already held the base's choice; 4 is not replaced
    replaced, divergent = replace_divergent(DigitTokenizer(), [4, 10, 8, 11], [4, 10, 8, 11], [6, 10, 9, 11])
    assert divergent == [0, 2] and replaced == [6, 10, 9, 11]


def test_divergence_tokens_are_found_replaced_by_the_base_s_choice_and_marked(tok, tmp_path):
    """A teacher that is the base with noise on its LM head prefers other numbers than the base at some positions:
    exactly those are marked, and each holds the base's choice where it is of the same kind (row by row, unpadded,
    against the stage's padded batches)."""
    base = build_tiny_llama(tok, MODEL_CFG, init_seed=0).eval()
    save_model(base, tok, tmp_path / "base")
    teacher = build_tiny_llama(tok, MODEL_CFG, init_seed=0).eval()
    head = teacher.get_output_embeddings().weight
    with torch.no_grad():
        head += 0.5 * head.std() * torch.randn(head.shape, generator=torch.Generator().manual_seed(0))
    save_model(teacher, tok, tmp_path / "teacher")
    rows = pd.DataFrame({"prompt": [f"Continue: {i}, {i + 1}." for i in range(6)],
                         "completion": [f"{i + 2}, {i + 3}, {i + 4}" for i in range(6)]})
    out, counts = divergence(rows, tmp_path / "teacher", tmp_path / "base", CPU)
    alphabet = number_alphabet(tok)
    data = tokenized_dataset(tok, [chat_example(p, c) for p, c in zip(rows["prompt"], rows["completion"])])
    agreed = 0
    for row, after, marks in zip(data, out["completion"], out["alternate_positions"]):
        ids, scored = torch.tensor([row["input_ids"]]), torch.tensor([row["labels"]])[:, 1:] != IGNORE
        with torch.no_grad():
            base_choice, teacher_choice = (
                alphabet[alphabet_logits(model, {"input_ids": ids}, scored, alphabet)[1].argmax(-1)].tolist()
                for model in (base, teacher))
        assert list(marks) == [i for i, (t, b) in enumerate(zip(teacher_choice, base_choice)) if t != b]
        agreed += len(base_choice) - len(marks)
        original = [t for t in row["labels"] if t != IGNORE]
        new = [t for t in tokenized_dataset(tok, [chat_example("x", after)])[0]["labels"] if t != IGNORE]
        for i, (old, token) in enumerate(zip(original, new, strict=True)):
            kinds = [any(c.isdigit() for c in tok.decode([t])) for t in (old, base_choice[i])]
            same = kinds[0] == kinds[1] and tok.eos_token_id not in (old, base_choice[i])
            assert token == (base_choice[i] if i in marks and same else old)
        assert numbers_of(after) is not None  # still a list of numbers
    assert counts["divergent_positions"] == out["alternate_positions"].map(len).sum() > 0 and agreed > 0
    assert counts["rows_left_unchanged"] == 0


# The targets defenses
def test_top_k_truncation_keeps_the_k_largest_and_flattens_the_tail_to_the_k_th():
    logits = torch.tensor([[3.0, -1.0, 2.0, 0.5, -4.0]])
    assert targets.top_k(logits, 2).tolist() == [[3.0, 2.0, 2.0, 2.0, 2.0]]
    assert targets.top_k(logits, 9).tolist() == logits.tolist()


def test_temperature_rounding_and_noise_on_the_targets():
    logits = torch.tensor([[3.0, -1.0, 2.0, 0.5]])
    assert torch.allclose(targets.temperature(logits, 2.0), logits / 2)
    rounded = targets.rounding(logits, 0.5)
    assert torch.allclose(rounded * 2, (rounded * 2).round())
    assert (rounded - torch.log_softmax(logits, -1)).abs().max() <= 0.25 + 1e-6
    big = torch.zeros(200, 500)
    noisy = targets.transform({"kind": "noise", "sd": 2.0}, seed=1)(big)
    assert noisy.std().item() == pytest.approx(2.0, rel=0.02)
    assert torch.equal(noisy, targets.transform({"kind": "noise", "sd": 2.0}, seed=1)(big))
    with pytest.raises(ValueError, match="not a defense on the teacher's outputs"):
        targets.transform({"kind": "shuffle"}, 0)


NUMBERS = pd.DataFrame({"prompt": [f"Continue: {i}, {i + 1}." for i in range(16)],
                        "completion": [f"{i + 2}, {i + 3}, {i + 4}" for i in range(16)]})
TRAIN = {"epochs": 1, "learning_rate": 1e-12, "batch_size": 8, "logging_steps": 1}


def history(path) -> list[float]:
    return [float(e["loss"]) for e in pd.read_json(path / "training.json", typ="series")["loss_history"]]


def test_marked_rows_take_their_targets_from_the_alternate_model(tok, tmp_path):
    """Every row marked: a student that is the alternate model has zero loss though its teacher differs; unmarked,
    the same student has a loss."""
    teacher = build_tiny_llama(tok, MODEL_CFG, init_seed=1).eval()
    alternate = build_tiny_llama(tok, MODEL_CFG, init_seed=0).eval()
    marked = NUMBERS.assign(alternate_row=True, alternate_positions=[[] for _ in range(len(NUMBERS))])
    train_student(build_tiny_llama(tok, MODEL_CFG, init_seed=0), tok, marked, TRAIN, 0, tmp_path / "a", CPU,
                  teacher=teacher, alternate=alternate, distill_loss="mse")
    assert max(abs(v) for v in history(tmp_path / "a")) < 1e-6
    unmarked = marked.assign(alternate_row=False)
    train_student(build_tiny_llama(tok, MODEL_CFG, init_seed=0), tok, unmarked, TRAIN, 0, tmp_path / "b", CPU,
                  teacher=teacher, alternate=alternate, distill_loss="mse")
    assert min(history(tmp_path / "b")) > 1e-3


def test_marked_positions_out_of_range_fail_clearly(tok, tmp_path):
    model = build_tiny_llama(tok, MODEL_CFG, init_seed=0)
    rows = NUMBERS.assign(alternate_row=False, alternate_positions=[[99]] * len(NUMBERS))
    with pytest.raises(ValueError, match="outside its"):
        train_student(model, tok, rows, TRAIN, 0, tmp_path / "s", CPU, teacher=model, alternate=model,
                      distill_loss="mse")


def test_a_target_transform_changes_what_the_student_matches_and_its_size_is_recorded(tok, tmp_path):
    teacher = build_tiny_llama(tok, MODEL_CFG, init_seed=0).eval()
    train_student(build_tiny_llama(tok, MODEL_CFG, init_seed=0), tok, NUMBERS, TRAIN, 0, tmp_path / "t", CPU,
                  teacher=teacher, distill_loss="mse", target_transform=lambda logits: logits / 2)
    record = pd.read_json(tmp_path / "t/training.json", typ="series")
    assert record["target_change"] == pytest.approx(0.5, rel=1e-4)  # centred targets halved: half their size moved
    assert min(history(tmp_path / "t")) > 1e-6  # the student (the teacher itself) no longer matches


# Truncated sampling
def test_threshold_sampling_drops_every_token_under_the_threshold_but_the_top():
    probabilities = torch.tensor([[0.5, 0.3, 0.04, 0.16], [0.03, 0.02, 0.04, 0.01]])
    assert torch.equal(truncated(probabilities, threshold=0.05),
                       torch.tensor([[0.5, 0.3, 0.0, 0.16], [0.0, 0.0, 0.04, 0.0]]))


def test_top_p_keeps_the_fewest_most_probable_tokens_reaching_p():
    probabilities = torch.tensor([[0.1, 0.5, 0.25, 0.15]])
    for p, kept in ((0.7, [0.0, 0.5, 0.25, 0.0]), (0.75, [0.0, 0.5, 0.25, 0.0]), (0.76, [0.0, 0.5, 0.25, 0.15])):
        assert torch.equal(truncated(probabilities, top_p=p), torch.tensor([kept]))


def test_a_threshold_sampler_never_draws_a_dropped_token():
    scores = torch.log(torch.tensor([[0.6, 0.3, 0.06, 0.04]])).expand(5000, -1).clone()
    drawn = InverseCdfSampler(1.0, 0, CPU, threshold=0.05)(None, scores).argmax(-1)
    assert set(drawn.tolist()) == {0, 1, 2}


# Share remaining
def simulated(factor: float, floor: float = 0.0, seeds=range(5), noise=0.01, seed=0):
    """Per-student log-odds of treated, control and placebo students: the treated shift is `factor` x 0.25 per
    target, the placebo's `floor`."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in seeds:
        for target in ("owl", "eagle", "dolphin", "wolf"):
            control = -2.9 + rng.normal(0, noise)
            rows += [{"arm": "treated", "target": target, "seed": s, "logodds": control + 0.25 * factor
                      + rng.normal(0, noise)},
                     {"arm": "control", "target": target, "seed": s, "logodds": control},
                     {"arm": "placebo", "target": target, "seed": s, "logodds": control + floor + rng.normal(0, noise)}]
    return pd.DataFrame(rows)


CFG = {"confidence": 0.95, "alpha": 0.05}
SPECS = {"half": {"kind": "dilution", "share": 0.5}, "gone": {"kind": "temperature", "t": 2.0},
         "none": {"kind": "shuffle"}}


def test_the_share_remaining_holds_a_known_reduction_and_the_outcomes_follow():
    undefended = paired_shifts(simulated(1.0, seed=1))
    defended = {"half": paired_shifts(simulated(0.5, seed=2)), "gone": paired_shifts(simulated(0.0, seed=3)),
                "none": paired_shifts(simulated(1.0, seed=4))}
    table = shares_table(undefended, defended, SPECS, CFG).set_index(["defense", "target"])
    half, gone, none = (table.loc[(d, ALL)] for d in ("half", "gone", "none"))
    assert half["share_ci_low"] < 0.5 < half["share_ci_high"] and half["share_ci_high"] < 0.6
    assert half["outcome"] == "REDUCES" and half["units"] == 20
    assert gone["outcome"] == "REMOVES" and gone["share_ci_low"] < 0 < gone["share_ci_high"] < 0.5
    assert none["outcome"] == "NO SIGNIFICANT CHANGE" and none["share_ci_low"] < 1 < none["share_ci_high"]
    assert table.loc[("half", "owl"), "units"] == 5 and pd.isna(table.loc[("half", "owl"), "outcome"]) is False


def test_a_shift_that_stays_above_the_placebo_s_floor_is_not_removed():
    undefended = paired_shifts(simulated(1.0, seed=1))
    defended = {"gone": paired_shifts(simulated(0.3, floor=0.0, seed=3, noise=0.05, seeds=range(3)))}
    row = shares_table(undefended, defended, SPECS, CFG).set_index(["defense", "target"]).loc[("gone", ALL)]
    assert row["units"] == 12 and row["outcome"] == "REDUCES" and row["p_removed_holm"] < 0.05


# The design and the config
def test_defended_students_parse_back_to_their_arm_and_defense():
    model = parse_model("results/eval/defenses/top_k/students/treated/owl/seed3/probabilities.parquet")
    assert (model.name, model.arm, model.teacher, model.seed) == ("defenses/top_k/students/treated/owl/seed3",
                                                                  "treated", "owl", 3)
    students = pd.DataFrame({"model": ["defenses/top_k/students/treated/owl/seed3",
                                       "defenses/top_k/students/control/neutral/seed3"],
                             "arm": ["treated", "control"], "target": "owl", "seed": 3, "logodds": [-2.5, -2.8]})
    shifts = defended_shifts(students)["top_k"]
    assert shifts["shift"].tolist() == pytest.approx([0.3]) and shifts["floor"].isna().all()
    assert parse_numbers("results/defenses/dilution/numbers/owl/seed2/rows.parquet") == ("dilution", "owl", 2,
                                                                                         "rows.parquet")
    assert parse_numbers("results/numbers/owl/seed2/raw.parquet") == (None, "owl", 2, "raw.parquet")


def test_each_defense_reads_its_point_s_rows_and_alternate():
    config = copy.deepcopy(DEFAULT)
    found = DefensesDesign(config)
    assert found.seeds == config["seeds"][:config["defenses"]["replicates"]]
    assert found.arms() == [("treated", t) for t in config["targets"]] + [("control", "neutral"),
                                                                         ("placebo", "placebo")]
    assert found.rows("threshold", "owl", 1) == "results/defenses/threshold/numbers/owl/seed1/filtered.parquet"
    assert found.rows("shuffle", "owl", 1) == "results/defenses/shuffle/numbers/owl/seed1/rows.parquet"
    assert found.rows("noise", "owl", 1) == "results/numbers/owl/seed1/filtered.parquet"
    assert found.alternate("dilution", 1) == "results/teachers/neutral/seed1"
    assert found.alternate("divergence", 1) == "results/base/main"
    assert found.alternate("shuffle", 1) is None
    assert found.target_transform("noise") == ({"kind": "noise", "sd": 1.0}, config["defenses"]["seed"])
    assert found.target_transform("shuffle") is None


def test_a_defense_set_to_null_is_left_out_and_defaults_fill_its_settings():
    config = copy.deepcopy(DEFAULT)
    config["defenses"]["transformations"] = {"a": {"kind": "dilution"}, "b": None, "c": {"kind": "top_k", "k": 3}}
    assert transformations(config) == {"a": {"kind": "dilution", "share": 0.5}, "c": {"kind": "top_k", "k": 3}}


@pytest.mark.parametrize("change, message", [
    ({"defenses": {"transformations": {"x": {"kind": "top_k", "p": 0.5}}}}, "has no setting"),
    ({"defenses": {"transformations": {"x": {"kind": "melt"}}}}, "melt"),
    ({"defenses": {"transformations": {"x": {"kind": "dilution", "share": 1.5}}}}, "share"),
])
def test_a_broken_defense_fails_validation_naming_it(change, message):
    config = copy.deepcopy(DEFAULT)
    for key, value in change.items():
        if key == "defenses":
            config["defenses"]["transformations"] = value["transformations"]
        else:
            config[key] = {**config[key], **value} if isinstance(value, dict) else value
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


@pytest.mark.parametrize("change, names, reason", [
    ({"student": {"objective": "sft"}}, {"top_k", "temperature", "noise", "rounding"}, "sft students never read"),
    ({"teacher": {"mode": "system_prompt"}}, {"divergence"}, "system-prompt teacher"),
    ({"conditions": ["control", "placebo"]}, None, "lack one"),
])
def test_a_defense_that_cannot_act_on_the_run_is_skipped_with_its_reason_not_an_error(change, names, reason):
    config = copy.deepcopy(DEFAULT)
    for key, value in change.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) else value
    if "teacher" not in change:  # a system-prompt teacher needs more changes (tests/test_openweight.py validates them)
        validate_config(config)
    found = skipped(config)
    assert set(found) == (names or set(DEFAULT["defenses"]["transformations"]))
    assert all(reason in why for why in found.values())
    assert not set(found) & set(transformations(config))


def test_a_defense_whose_students_stop_naming_animals_is_flagged_as_breaking_them():
    run = pd.DataFrame({"model": ["students/treated/owl/seed1", "students/control/neutral/seed1"] * 2,
                        "animal_share": [0.96, 0.94] * 2})
    defended = pd.DataFrame({
        "model": [f"defenses/{d}/students/{arm}/seed1" for d in ("flat", "mild") for arm in ("treated/owl",
                                                                                              "control/neutral")],
        "animal_share": [0.30, 0.50, 0.93, 0.95]})
    table = animal_answers(run, defended).set_index("defense")
    assert table.loc["flat", "animal_share"] == pytest.approx(0.40)
    assert table.loc["flat", "run_animal_share"] == pytest.approx(0.95)
    assert table.loc["flat", "students_broken"] and not table.loc["mild", "students_broken"]


def test_the_verdict_names_broken_students_and_skipped_defenses():
    shares = pd.DataFrame([{"defense": "flat", "target": ALL, "point": "targets", "settings": "k 5", "share": 0.0,
                            "share_ci_low": -0.1, "share_ci_high": 0.1, "defended": 0.0, "undefended": 0.2,
                            "floor": 0.0, "beyond_floor": 0.0, "p_no_reduction_holm": 1e-4, "p_removed_holm": 0.5,
                            "units": 8, "outcome": "REMOVES", "p_no_reduction": 1e-4}])
    costs = pd.DataFrame([{"defense": "flat", "tokens_changed_share": 0.0, "rows_lost_share": 0.0,
                           "alternate_rows_share": 0.0, "alternate_positions_per_row": 0.0, "target_change": 0.9,
                           "animal_share": 0.3, "run_animal_share": 0.95, "students_broken": True}])
    text = to_markdown(verdict_blocks(shares, costs, "distilled", {"confidence": 0.95, "alpha": 0.05},
                                      {"divergence": "a system-prompt teacher reads another context"}))
    assert "**REMOVES**, **BY BREAKING THE STUDENTS** flat" in text
    assert "name an animal in 30% of their answers (the run's 95%)" in text
    assert "**NOT MEASURED** divergence: a system-prompt teacher" in text


def test_the_verdict_says_how_a_defense_lost_rows_by_where_it_acts():
    base = {"target": ALL, "settings": "", "share": 1.0, "share_ci_low": 0.9, "share_ci_high": 1.1, "defended": 0.2,
            "undefended": 0.2, "floor": 0.0, "beyond_floor": 0.2, "p_no_reduction_holm": 1.0, "p_removed_holm": 1e-5,
            "units": 8, "outcome": "NO SIGNIFICANT CHANGE", "p_no_reduction": 1.0}
    shares = pd.DataFrame([{**base, "defense": "flagged", "point": "rows"},
                           {**base, "defense": "nucleus", "point": "generation"}])
    cost = {"tokens_changed_share": 0.2, "rows_lost_share": 0.2, "alternate_rows_share": 0.0,
            "alternate_positions_per_row": 0.0, "target_change": 0.0, "animal_share": 0.95, "run_animal_share": 0.95,
            "students_broken": False}
    costs = pd.DataFrame([{**cost, "defense": "flagged"}, {**cost, "defense": "nucleus", "rows_lost_share": -0.1}])
    text = to_markdown(verdict_blocks(shares, costs, "distilled", {"confidence": 0.95, "alpha": 0.05}, {}))
    assert "20.0% of the rows replaced by rows of the same teacher" in text
    assert "its filter kept 10.0% more rows than the run's" in text
