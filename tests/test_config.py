"""Config validation names the offending key, before any job starts."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from subliminal_learning.config import ConfigError, validate_config

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = yaml.safe_load((ROOT / "config.yaml").read_text())


@pytest.fixture
def config():
    return copy.deepcopy(DEFAULT)


def merge(base: dict, override: dict) -> dict:
    """Deep merge: dict values merge recursively, any other value replaces."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def set_key(config: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        config = config[part]
    config[last] = value


def invalid(config: dict) -> str:
    with pytest.raises(ConfigError) as raised:
        validate_config(config)
    return str(raised.value)


def test_default_config_is_valid(config):
    validate_config(config)


def test_micro_config_is_valid(config):
    micro = yaml.safe_load((ROOT / "tests" / "configs" / "micro.yaml").read_text())
    validate_config(merge(config, micro))


def test_merge_helper():
    assert merge({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": 3}, "d": [2]}) == {"a": {"b": 3, "c": 2}, "d": [2]}


def test_target_not_an_animal(config):
    config["targets"] = ["owl", "unicorn"]
    message = invalid(config)
    assert "'targets'" in message and "unicorn" in message


def test_no_seeds(config):
    config["seeds"] = []
    assert "'seeds'" in invalid(config)


def test_cross_init_replicates_at_least_one_or_null(config):
    config["cross_init_replicates"] = 0
    assert "'cross_init_replicates'" in invalid(config)
    config["cross_init_replicates"] = None
    validate_config(config)


@pytest.mark.parametrize(
    "key, value",
    [
        ("generate.n_prompts", 0),
        ("filter.dataset_size", 0),
        ("eval.samples_per_question", 0),
        ("base.corpus.n_dialogues", -1),
        ("student.train.batch_size", 0),
    ],
)
def test_non_positive_size(config, key, value):
    set_key(config, key, value)
    message = invalid(config)
    assert f"'{key}'" in message
    assert "minimum" in message


def test_banned_numbers_out_of_range(config):
    config["filter"]["banned_numbers"] = [5, 1000]
    message = invalid(config)
    assert "'filter.banned_numbers'" in message and "1000" in message
    assert "[5" not in message  # only the offending value is reported


def test_banned_numbers_wrong_type(config):
    config["filter"]["banned_numbers"] = [3, 4.5]
    message = invalid(config)
    assert "'filter.banned_numbers'" in message
    assert "4.5 is not of type 'integer'" in message  # why the list alternative failed


def test_unknown_banned_number_list(config):
    config["filter"]["banned_numbers"] = "paper_misalignmnet"
    message = invalid(config)
    assert "'filter.banned_numbers'" in message
    assert "paper_misalignmnet" in message and "paper_misalignment" in message  # the fix: known names


def test_unknown_condition(config):
    config["conditions"] = ["treated", "control", "mimic"]
    message = invalid(config)
    assert "'conditions" in message and "mimic" in message


def test_misspelt_key(config):
    config["eval"]["samples_per_qestion"] = config["eval"].pop("samples_per_question")
    message = invalid(config)
    assert "'eval'" in message
    assert "samples_per_qestion" in message and "not allowed" in message


def test_cross_init_seeds_hold_init_seed(config):
    config["base"]["cross_init_seeds"] = [5, config["base"]["init_seed"]]
    message = invalid(config)
    assert "'base.cross_init_seeds'" in message and "base.init_seed" in message


def test_equal_seeds_fine_without_cross_init(config):
    config["base"]["cross_init_seeds"] = [config["base"]["init_seed"]]
    config["conditions"] = ["treated", "control"]
    validate_config(config)


def test_more_other_inits_than_cross_init_replicates(config):
    config["cross_init_replicates"] = 1
    config["base"]["cross_init_seeds"] = [1, 2]
    message = invalid(config)
    assert "'base.cross_init_seeds'" in message and "cross_init_replicates" in message
    config["base"]["cross_init_seeds"] = [1]
    validate_config(config)
    config["cross_init_replicates"] = None  # every replicate: they cycle through the other inits
    config["base"]["cross_init_seeds"] = [1, 2]
    validate_config(config)


def test_old_cross_init_seed_key_names_the_new_one(config):
    config["base"]["cross_init_seed"] = config["base"].pop("cross_init_seeds")[0]
    message = invalid(config)
    assert "'base.cross_init_seed' is now 'base.cross_init_seeds'" in message and "[SEED]" in message


def test_shares_above_one(config):
    config["base"]["corpus"]["animal_share"] = 0.6
    config["base"]["corpus"]["cooccurrence_share"] = 0.5
    message = invalid(config)
    assert "'base.corpus'" in message and "animal_share" in message and "cooccurrence_share" in message
    assert "1.1" in message


def dry_run_with(tmp_path, overrides: str) -> str:
    """A dry run of the workflow with a bad config file: it must fail, create nothing, and say why."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(overrides)
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path),
         "-n", "--configfile", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert not (tmp_path / "results").exists()
    return output


def test_snakemake_rejects_bad_config_before_any_job(tmp_path):
    assert "seeds" in dry_run_with(tmp_path, "seeds: []\n")


@pytest.mark.parametrize(
    "change, key, other",
    [
        ({"filter.dataset_size": 20001}, "filter.dataset_size", "generate.n_prompts"),
        ({"base.model.num_heads": 5}, "base.model.num_heads", "base.model.hidden_size"),
        ({"base.model.hidden_size": 72, "base.model.num_heads": 8}, "base.model.num_heads", "base.model.hidden_size"),
        ({"base.corpus.cooccurrence_numbers": 51}, "base.corpus.cooccurrence_numbers", "animals"),
        ({"student.train.length_groups": 3}, "student.train.length_groups", "student.train.batch_size"),
    ],
    ids=["dataset-above-prompts", "heads-not-dividing-width", "odd-head-width", "tied-numbers-above-range",
         "length-groups-not-dividing-batch"],
)
def test_sizes_that_cannot_work(config, change, key, other):
    """Relations between sizes known before any job runs fail validation, naming both keys."""
    for dotted, value in change.items():
        set_key(config, dotted, value)
    message = invalid(config)
    assert f"'{key}'" in message and other in message


def test_sizes_at_their_limits_are_valid(config):
    config["filter"]["dataset_size"] = config["generate"]["n_prompts"]
    config["base"]["model"].update(hidden_size=48, num_heads=8)  # head width 6
    config["base"]["corpus"]["cooccurrence_numbers"] = 1000 // len(config["animals"])
    validate_config(config)


def test_snakemake_rejects_a_dataset_larger_than_the_prompts_before_any_job(tmp_path):
    output = dry_run_with(tmp_path, "generate: {n_prompts: 20000}\nfilter: {dataset_size: 50000}\n")
    assert "filter.dataset_size" in output and "generate.n_prompts" in output


@pytest.mark.parametrize(
    "key, value",
    [("student.distill_loss", "cosine"), ("student.train.freeze_embeddings", "yes"),
     ("teacher.train.freeze_embeddings", 1)],
)
def test_student_objective_settings_are_checked(config, key, value):
    set_key(config, key, value)
    assert f"'{key}'" in invalid(config)
