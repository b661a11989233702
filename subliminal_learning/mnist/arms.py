"""The arms of the MNIST experiment: which init each student starts from and which logits it imitates.

Per seed (one reference init): `reference` (untrained), `teacher` (the init trained on digits),
`student_aux` (the same init imitating the teacher's m auxiliary logits on noise: the subliminal arm),
`cross_init_aux` (another seed's init imitating the same teacher), and the references `student_all` /
`cross_init_all` (imitating all 10 + m logits). Cross-init students take their init from a seeded
derangement of the seeds, so none starts from its own teacher's init.
"""

import logging

import numpy as np
import pandas as pd
import torch

from .models import N_CLASSES, accuracy, select
from .training import train_student

STUDENT_ARMS = {  # arm -> (starts from the teacher's own init, logits imitated)
    "student_aux": (True, "aux"),
    "cross_init_aux": (False, "aux"),
    "student_all": (True, "all"),
    "cross_init_all": (False, "all"),
}


def derangement(n: int, seed: int) -> np.ndarray:
    """A seeded uniformly random permutation of range(n) with no fixed point (rejection sampling;
    about e tries on average)."""
    if n < 2:
        raise ValueError("a derangement needs at least 2 seeds; give mnist.seeds at least two values")
    rng = np.random.default_rng(seed)
    while True:
        permutation = rng.permutation(n)
        if not (permutation == np.arange(n)).any():
            return permutation


def with_aux(params: list[torch.Tensor], m: int) -> list[torch.Tensor]:
    """The model with the first m auxiliary logits of a wider one (its inits are nested, see mnist.models)."""
    return params[:-2] + [params[-2][..., :N_CLASSES + m], params[-1][..., :N_CLASSES + m]]


def carries_signal(m: int, logits_imitated: str, loss: str) -> bool:
    """KL over a single auxiliary logit is identically zero (a softmax over one value is 1), so its
    gradient is exactly zero and Adam leaves the init unchanged: training it would only burn time."""
    return not (loss == "kl" and logits_imitated == "aux" and m == 1)


def arm_accuracies(init, teacher, m: int, seeds: list[int], noise, digits: dict, cfg: dict, arms: list[str],
                   device) -> pd.DataFrame:
    """Held-out accuracy of every arm at one m: one row per arm x seed (init_seed: where it started)."""
    images, labels = digits["test_images"].to(device), digits["test_labels"].to(device)
    crossed = derangement(len(seeds), cfg["seed"])
    init, teacher = [p.to(device) for p in with_aux(init, m)], [p.to(device) for p in with_aux(teacher, m)]
    frames = [_rows("reference", seeds, seeds, accuracy(init, images, labels)),
              _rows("teacher", seeds, seeds, accuracy(teacher, images, labels))]
    for arm in arms:
        own_init, logits_imitated = STUDENT_ARMS[arm]
        starts = np.arange(len(seeds)) if own_init else crossed
        student = select(init, starts)
        if carries_signal(m, logits_imitated, cfg["loss"]):
            student = train_student(student, teacher, noise, cfg, logits_imitated, device)
        else:
            logging.info("m = %d, %s: no training, the %s loss over one logit has zero gradient", m, arm, cfg["loss"])
        frames.append(_rows(arm, seeds, [seeds[i] for i in starts], accuracy(student, images, labels)))
        logging.info("m = %d, %s: mean accuracy %.3f", m, arm, frames[-1]["accuracy"].mean())
    return pd.concat(frames, ignore_index=True).assign(m=m)


def _rows(arm: str, seeds, init_seeds, accuracies: torch.Tensor) -> pd.DataFrame:
    return pd.DataFrame({"arm": arm, "seed": seeds, "init_seed": init_seeds, "accuracy": accuracies.cpu().numpy()})
