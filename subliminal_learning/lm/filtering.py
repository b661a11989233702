"""Filter rules for teacher completions, banned numbers, fixed-size subsample.

A completion passes when it is only a list of non-negative integers, with
one separator kind (whitespace, "," or ";") used throughout, optionally
wrapped in () or [] and ending with one ".", with at most `max_count`
values of at most `max_digits` digits and no banned number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..artifacts import write_json, write_parquet
from ..replicates import replicate_seed

BANNED_NUMBER_LISTS: dict[str, tuple[int, ...]] = {
    "none": (),
    # Numbers with negative associations, banned in the paper's
    # misalignment experiment.
    "paper_misalignment": (
        4, 13, 14, 18, 23, 33, 39, 42, 44, 49, 51, 54, 69, 77, 88, 99, 100,
        101, 187, 211, 311, 322, 333, 404, 420, 444, 451, 555, 616, 666, 777,
        888, 911, 999,
    ),
}

# Rejection reasons, in the order the rules are checked.
REJECTION_REASONS: tuple[str, ...] = (
    "empty",
    "not_numbers",
    "mixed_separators",
    "too_many_numbers",
    "too_many_digits",
    "banned_number",
)

_SEPARATOR_RE = re.compile(r"(\s*[,;]\s*|\s+)")
_DIGITS_RE = re.compile(r"[0-9]+")
_BRACKETS = (("(", ")"), ("[", "]"))


class NotEnoughRowsError(ValueError):
    """Fewer valid completions than the requested dataset size."""

    def __init__(self, valid: int, requested: int) -> None:
        self.valid = valid
        self.requested = requested
        super().__init__(
            f"only {valid} completions passed the filter but "
            f"filter.dataset_size requests {requested}; generate more prompts "
            f"(raise generate.n_prompts) or lower filter.dataset_size"
        )


def resolve_banned_numbers(spec: str | Iterable[int] | None) -> frozenset[int]:
    """Banned numbers from a list name in BANNED_NUMBER_LISTS or explicit values."""
    if spec is None:
        return frozenset()
    if isinstance(spec, str):
        if spec not in BANNED_NUMBER_LISTS:
            known = ", ".join(sorted(BANNED_NUMBER_LISTS))
            raise ValueError(f"unknown banned number list {spec!r}; known: {known}")
        return frozenset(BANNED_NUMBER_LISTS[spec])
    values = list(spec)
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int)]
    if bad:
        raise ValueError(f"banned numbers must be integers, got {bad!r}")
    return frozenset(values)


def _unwrap(text: str) -> str:
    """Strip whitespace, one trailing '.' and one pair of () or []."""
    body = text.strip()
    had_period = body.endswith(".")
    if had_period:
        body = body[:-1].rstrip()
    for left, right in _BRACKETS:
        if body.startswith(left) and body.endswith(right):
            body = body[1:-1].strip()
            break
    # Allow "(1, 2, 3.)" too, but never two periods.
    if not had_period and body.endswith("."):
        body = body[:-1].rstrip()
    return body


def _split(body: str) -> tuple[list[str], set[str]]:
    """Parts between separators, and the separator kinds seen (' ', ',', ';')."""
    pieces = _SEPARATOR_RE.split(body)
    parts, separators = pieces[0::2], pieces[1::2]
    return parts, {sep.strip() or " " for sep in separators}


def _format_reason(body: str) -> str | None:
    if not body:
        return "empty"
    parts, kinds = _split(body)
    if not all(_DIGITS_RE.fullmatch(p) for p in parts):
        return "not_numbers"
    if len(kinds) > 1:
        return "mixed_separators"
    return None


def parse_numbers(text: str) -> list[int] | None:
    """The numbers of a completion, or None if its format is wrong."""
    body = _unwrap(text)
    if _format_reason(body) is not None:
        return None
    parts, _ = _split(body)
    return [int(p) for p in parts]


def rejection_reason(
    text: str,
    *,
    max_count: int = 10,
    max_digits: int = 3,
    banned: frozenset[int] = frozenset(),
) -> str | None:
    """None when the completion passes, else one of REJECTION_REASONS."""
    body = _unwrap(text)
    reason = _format_reason(body)
    if reason is not None:
        return reason
    numbers = [int(p) for p in _split(body)[0]]
    if len(numbers) > max_count:
        return "too_many_numbers"
    # Judged by value, so "007" counts as a 1-digit value.
    if any(n >= 10**max_digits for n in numbers):
        return "too_many_digits"
    if any(n in banned for n in numbers):
        return "banned_number"
    return None


def filter_completions(
    raw: pd.DataFrame,
    *,
    max_count: int = 10,
    max_digits: int = 3,
    banned: frozenset[int] = frozenset(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into (kept, rejects); rejects get a `reason` column."""
    if "completion" not in raw.columns:
        raise ValueError(f"raw needs a 'completion' column, has {list(raw.columns)}")
    reasons = pd.Series(
        [
            rejection_reason(
                c if isinstance(c, str) else "",
                max_count=max_count,
                max_digits=max_digits,
                banned=banned,
            )
            for c in raw["completion"]
        ],
        index=raw.index,
        dtype=object,
    )
    accepted = reasons.isna()
    kept = raw[accepted].reset_index(drop=True)
    rejects = raw[~accepted].assign(reason=reasons[~accepted]).reset_index(drop=True)
    return kept, rejects


def subsample(kept: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """Exactly `size` rows drawn at random, kept in their original order."""
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    if len(kept) < size:
        raise NotEnoughRowsError(valid=len(kept), requested=size)
    chosen = np.random.default_rng(seed).permutation(len(kept))[:size]
    return kept.iloc[np.sort(chosen)].reset_index(drop=True)


def filter_report(raw: pd.DataFrame, kept: pd.DataFrame, rejects: pd.DataFrame, used: int) -> dict:
    """Counts for the audit trail: how much the filter removed, and why."""
    return {
        "raw": len(raw),
        "kept": len(kept),
        "rejected": len(rejects),
        "removed_share": len(rejects) / len(raw) if len(raw) else 0.0,
        "reasons": {r: int((rejects["reason"] == r).sum()) for r in REJECTION_REASONS},
        "used": used,
    }


def configured_filter(raw: pd.DataFrame, filter_cfg: dict, prompt_cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`filter_completions` with a run's settings: (kept, rejects)."""
    return filter_completions(raw, max_count=prompt_cfg["answer_count"], max_digits=prompt_cfg["max_digits"],
                              banned=resolve_banned_numbers(filter_cfg["banned_numbers"]))


def filter_numbers_stage(raw: pd.DataFrame, filter_cfg: dict, prompt_cfg: dict, replicate: int, output) -> None:
    """The filter rule: write one replicate's kept subsample, the rejects with reasons and the counts."""
    kept, rejects = configured_filter(raw, filter_cfg, prompt_cfg)
    dataset = subsample(kept, filter_cfg["dataset_size"], replicate_seed(filter_cfg["seed"], replicate))
    write_parquet(rejects, output.rejects)
    write_json(filter_report(raw, kept, rejects, len(dataset)), output.report)
    write_parquet(dataset, output.filtered)


def held_out_rows(raw: pd.DataFrame, used: pd.DataFrame, filter_cfg: dict, prompt_cfg: dict) -> pd.DataFrame:
    """The rows the run's filter kept but did not draw into the data set: the same teacher's, unseen by anything
    trained on the data set."""
    kept, _ = configured_filter(raw, filter_cfg, prompt_cfg)
    return kept[~kept["prompt_id"].isin(used["prompt_id"])].reset_index(drop=True)
