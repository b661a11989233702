"""The defenses on the kept rows (reformat, shuffle, dilution; divergence and detector have their own modules) and
what a defense changed in the data.

Rows are the filter's: prompt, completion and the rest of its columns. Every transformation returns rows with the same
columns and two more, `alternate_row` and `alternate_positions`, which a distilled student reads: the rows (and the
completion positions) whose targets come from an alternate model instead of the row's teacher.
"""

import re
from difflib import SequenceMatcher

import numpy as np
import pandas as pd

from ..lm.filtering import parse_numbers

TOKEN = re.compile(r"\d+|[^\d\s]")  # a number or one punctuation mark: what the number alphabet is made of
NUMBER = re.compile(r"\d+")


def text_tokens(completion: str) -> list[str]:
    return TOKEN.findall(completion)


def tokens_changed(before, after) -> tuple[int, int]:
    """(tokens of the defended completions not carried over from the originals, in order; tokens of the defended
    completions) over paired completions: a separator put in counts one, a moved number one."""
    changed = total = 0
    for old, new in zip(before, after, strict=True):
        a, b = text_tokens(old), text_tokens(new)
        kept = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
        changed += len(b) - kept
        total += len(b)
    return changed, total


def with_marks(rows: pd.DataFrame, alternate_row=False, positions=None) -> pd.DataFrame:
    return rows.assign(alternate_row=alternate_row,
                       alternate_positions=positions if positions is not None else [[] for _ in range(len(rows))])


def canonical(completion: str) -> str:
    """The completion's numbers in one format: separated by ", ", no brackets, no closing period."""
    numbers = parse_numbers(completion)
    if numbers is None:
        raise ValueError(f"not a kept completion (the filter would reject it): {completion!r}")
    return ", ".join(str(n) for n in numbers)


def reformat(rows: pd.DataFrame) -> pd.DataFrame:
    return with_marks(rows.assign(completion=rows["completion"].map(canonical)))


def shuffled(completion: str, rng: np.random.Generator) -> str:
    """The completion with its numbers in a random order, every separator and bracket where it was."""
    numbers = NUMBER.findall(completion)
    order = iter(rng.permutation(len(numbers)))
    return NUMBER.sub(lambda _: numbers[next(order)], completion)


def shuffle(rows: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return with_marks(rows.assign(completion=[shuffled(c, rng) for c in rows["completion"]]))


def swap_in(rows: pd.DataFrame, positions: np.ndarray, other: pd.DataFrame,
            rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """`rows` with the rows at `positions` (sorted) replaced, in place, by as many of `other` drawn at random without
    replacement; and the mask of the replaced positions."""
    drawn = other.iloc[rng.choice(len(other), size=len(positions), replace=False)][rows.columns]
    out = rows.copy()
    out.iloc[positions] = drawn.to_numpy()
    marked = np.zeros(len(rows), dtype=bool)
    marked[positions] = True
    return out, marked


def dilute(rows: pd.DataFrame, other: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """`rows` with round(share x len) of them, at random, swapped for as many rows of `other` (another teacher's, drawn
    without replacement); the swapped-in rows are marked: their targets come from the other teacher."""
    count = round(share * len(rows))
    if count > len(other):
        raise ValueError(f"dilution needs {count} rows of the other teacher; it has {len(other)}")
    rng = np.random.default_rng(seed)
    out, marked = swap_in(rows, np.sort(rng.choice(len(rows), size=count, replace=False)), other, rng)
    return with_marks(out, alternate_row=marked)


def row_cost(before: pd.DataFrame, after: pd.DataFrame) -> dict:
    """What a rows defense cost the data, row by row (`after` holds the same rows, transformed): the defended tokens
    not carried over from the original row (a swapped-in row, another teacher's or an unseen one of the same teacher,
    counting all of its own), and the rows lost (those the detector replaced; the row count never changes)."""
    if len(before) != len(after):
        raise ValueError(f"a rows defense keeps every row: {len(before)} in, {len(after)} out")
    alternate = after["alternate_row"].to_numpy(dtype=bool)
    replaced = after["replaced_row"].to_numpy(dtype=bool) if "replaced_row" in after else np.zeros_like(alternate)
    swapped = alternate | replaced
    changed, total = tokens_changed(before["completion"][~swapped], after["completion"][~swapped])
    whole = sum(len(text_tokens(c)) for c in after["completion"][swapped])
    return {"rows": len(before), "rows_lost": int(replaced.sum()), "tokens_changed": changed + whole,
            "tokens": total + whole, "alternate_rows": int(alternate.sum()),
            "alternate_positions": int(after["alternate_positions"].map(len).sum())}
