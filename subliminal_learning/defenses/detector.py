"""The detector defense: each row scored by the audit's per-row score (its completion's log-likelihood shift under a
canary student against the base, `audit.rows.row_scores`), the highest-scoring share of the data set's rows replaced
by rows of the same teacher that the data set did not draw (kept by the run's filter).

The score is cross-fitted: the rows split in two halves at random, a canary (the run's student recipe, from the
students' base) trains on each half and scores the other, so no row is scored by a model that trained on it (a
canary's own training rows score high for having been learned, whatever they carry). The flagged rows are replaced
rather than dropped: a student's shift grows with its optimiser steps (docs/design.md#steps-not-rows), so dropping
any 20% of the rows would shrink it whatever the detector found; replaced by unseen rows of the same teacher, an
unflagged row is an average one, and what remains measures the detector.
"""

import numpy as np
import pandas as pd

from ..audit.rows import row_scores
from ..lm.modeling import load_model, system_prompt_of
from ..lm.student import trained_copy
from .rows import swap_in, with_marks


def canary(base_dir, rows: pd.DataFrame, teacher, teacher_dir, student_cfg: dict, seed: int, device):
    """A copy of the base trained on `rows` by the run's student recipe: distilled on `teacher`'s outputs (in its own
    context), or fine-tuned on the text without one."""
    distilled = teacher is not None
    model, _ = trained_copy(base_dir, rows, student_cfg["train"], seed, device, lora=student_cfg.get("lora"),
                            teacher=teacher, distill_loss=student_cfg.get("distill_loss") if distilled else None,
                            teacher_system_prompt=system_prompt_of(teacher_dir) if distilled else None)
    return model


def cross_fitted_scores(rows: pd.DataFrame, base_dir, teacher_dir, student_cfg: dict, seed: int,
                        device) -> np.ndarray:
    """Each row's log-likelihood shift under the canary trained on the other half of the rows."""
    half = np.random.default_rng(seed).permutation(len(rows)) % 2
    base, tokenizer = load_model(base_dir, device)
    teacher = load_model(teacher_dir, device)[0] if teacher_dir else None
    scores = np.empty(len(rows))
    for side in (0, 1):
        fitted = canary(base_dir, rows[half != side], teacher, teacher_dir, student_cfg, seed + side, device)
        scores[half == side] = row_scores(fitted, base, tokenizer, rows[half == side], device)
    return scores


def replace_flagged(rows: pd.DataFrame, spare: pd.DataFrame, scores: np.ndarray, share: float,
                    seed: int) -> pd.DataFrame:
    """`rows` with the round(share x len) highest-scoring ones replaced by as many of `spare` (`rows.swap_in`); the
    replaced rows are marked `replaced_row`."""
    count = round(share * len(rows))
    if count > len(spare):
        raise ValueError(f"the detector defense replaces {count} rows ({share:.0%}) with rows of the same teacher that "
                         f"the data set did not draw; the filter kept only {len(spare)} such rows: lower the "
                         f"defense's share or raise generate's prompts")
    flagged = np.sort(np.argsort(-scores, kind="stable")[:count])
    out, marked = swap_in(rows, flagged, spare, np.random.default_rng(seed))
    return with_marks(out).assign(replaced_row=marked, detector_score=scores)
