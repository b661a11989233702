"""Channels: the same teachers' trait reaching students through other data than the default's.

A channel is a student objective and the data it reads: the default distils the teacher's logits over the number
alphabet (`logits`, the run itself); a config's `channels` adds others, each a set of overrides of the run's
`generate`, `filter` and `student` sections, for instance students on the teacher's top-k log-probabilities at each
token of its text (what a hosted API returns with it) or fine-tuned on the sampled text itself (the paper's channel). Every channel
trains the run's arms on the run's teachers and is tested as the run is, placebo and cross-init included.
"""

import copy

SECTIONS = ("generate", "filter", "student")  # what a channel may override
NUMBERS_SECTIONS = ("generate", "filter")  # what makes a channel's numbers


def merged(base: dict, overrides: dict) -> dict:
    """`base` with `overrides` written over it, nested mappings merged key by key."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def channel_names(config: dict) -> list[str]:
    """The config's channels, less those set to null (a configfile leaves a default channel out that way)."""
    return [name for name, overrides in (config.get("channels") or {}).items() if overrides is not None]


def channel_config(config: dict, channel: str) -> dict:
    """The run's config as one channel sees it: its sections with the channel's overrides."""
    overrides = config["channels"][channel]
    return {**config, **{section: merged(config[section], overrides.get(section, {})) for section in SECTIONS}}


RUN = "run"  # a channel that draws its numbers as the run does trains on the run's own


def _first_alike(config: dict, channel: str, sections: tuple) -> str:
    """RUN when `channel` has the run's settings in `sections`, else the first channel (in the config's order) with
    its settings there."""
    own = [channel_config(config, channel)[section] for section in sections]
    if own == [config[section] for section in sections]:
        return RUN
    return next(name for name in channel_names(config)
                if [channel_config(config, name)[section] for section in sections] == own)


def numbers_source(config: dict, channel: str) -> str:
    """Whose kept numbers `channel` trains on: the run's (RUN) when it generates and filters as the run does, else the
    first channel with the same settings, so that channels that differ only in their students share them."""
    return _first_alike(config, channel, NUMBERS_SECTIONS)


def generation_source(config: dict, channel: str) -> str:
    """Whose raw completions `channel`'s filter reads: channels that differ only in their filter (the rows they keep)
    share one generation, the costly part."""
    return _first_alike(config, channel, ("generate",))


def top_k_of(config: dict, source: str) -> int:
    """How many log-probabilities a source's top_logprobs files hold: the most any top-k channel on it reads."""
    return max((channel_config(config, c)["student"]["top_k"] for c in channel_names(config)
                if numbers_source(config, c) == source and channel_config(config, c)["student"]["objective"] == "topk"),
               default=0)


def describe(config: dict) -> str:
    """A channel's students in words, from its config (the run's own config for the logits channel)."""
    student, generate = config["student"], config["generate"]
    temperature = f"teacher sampled at temperature {generate['temperature']:g}"
    if student["objective"] == "distill":
        return f"distilled on the teacher's logits over the number alphabet ({student['distill_loss']})"
    if student["objective"] == "topk":
        return (f"distilled on the teacher's top-{student['top_k']} log-probabilities at each token of its text "
                f"({student['distill_loss']})")
    return f"fine-tuned on the sampled text, {temperature}"


def run_channel(config: dict) -> str:
    """The name of the run's own channel in the comparison, from its student objective (never topk: validation)."""
    return {"distill": "logits", "sft": "text"}[config["student"]["objective"]]
