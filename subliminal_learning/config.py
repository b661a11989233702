"""Config validation, before any job starts: the JSON schema, then checks it cannot express."""

from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from .filtering import BANNED_NUMBER_LISTS
from .prompts import PromptSpec

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "config.schema.yaml"

CONDITIONS = ("treated", "control", "cross_init")


class ConfigError(ValueError):
    """The config is invalid: the message names the key and how to fix it."""


def validate_config(config: dict, schema_path: str | Path = SCHEMA) -> None:
    """Raise ConfigError naming every schema violation by its dotted key, then run `check_config`."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    errors = sorted(Draft202012Validator(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError("invalid config:\n" + "\n".join(_describe(e) for e in errors))
    check_config(config)


def _describe(error) -> str:
    key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
    message = error.message
    if error.context:  # oneOf/anyOf: say why each alternative failed, not just that all did
        message += " (" + "; ".join(sorted({sub.message for sub in error.context})) + ")"
    return f"  config key '{key}': {message}"


def check_config(config: dict) -> None:
    """Raise ConfigError on the first problem found."""
    for key, check in CHECKS:
        problem = check(config)
        if problem:
            raise ConfigError(f"config key '{key}': {problem}")


def _targets(config):
    missing = [t for t in config["targets"] if t not in config["animals"]]
    if missing:
        return f"{missing} not in animals {config['animals']}; add them to 'animals' or pick targets from it"


def _animals(config):
    if len(set(config["animals"])) != len(config["animals"]):
        return "animal names must be unique"
    reserved = {"base", "neutral"} & set(config["animals"])
    if reserved:
        return f"{sorted(reserved)} name control teachers; rename that animal"


def _conditions(config):
    unknown = [c for c in config["conditions"] if c not in CONDITIONS]
    if unknown:
        return f"unknown condition(s) {unknown}; choose from {list(CONDITIONS)}"
    if any(c != "control" for c in config["conditions"]) and "control" not in config["conditions"]:
        return "treated and cross_init are compared with control; include 'control'"


def _banned(config):
    spec = config["filter"]["banned_numbers"]
    if isinstance(spec, str):
        if spec not in BANNED_NUMBER_LISTS:
            return f"unknown banned-number list '{spec}'; choose from {sorted(BANNED_NUMBER_LISTS)} or give integers"
        return None
    top = 10 ** config["generate"]["prompt"]["max_digits"] - 1
    bad = [n for n in spec if not 0 <= n <= top]
    if bad:
        return f"values {bad} are outside 0-{top} (generate.prompt.max_digits); remove them"


def _prompt(config):
    try:
        PromptSpec(**config["generate"]["prompt"])
    except ValueError as error:
        return str(error)


def _cross_init(config):
    base = config["base"]
    if "cross_init" in config["conditions"] and base["init_seed"] == base["cross_init_seed"]:
        return "must differ from base.init_seed, or the cross_init student shares the teacher's initialisation"


def _corpus(config):
    corpus = config["base"]["corpus"]
    total = corpus["animal_share"] + corpus["cooccurrence_share"]
    if total > 1:
        return f"animal_share + cooccurrence_share is {total:g}; lower them so they sum to at most 1"


CHECKS = (
    ("animals", _animals),
    ("targets", _targets),
    ("conditions", _conditions),
    ("filter.banned_numbers", _banned),
    ("generate.prompt", _prompt),
    ("base.cross_init_seed", _cross_init),
    ("base.corpus", _corpus),
)
