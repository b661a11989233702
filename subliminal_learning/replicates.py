"""Replicates: each seed of the experiment is a replicate that draws its own data.

A replicate's prompts, its teachers' samples and the filter's subsample all come from seeds derived
from the stage's configured seed and the replicate, so the test's noise includes which numbers were
sampled (a seed that only reordered one shared data set would let one lucky draw of numbers move every
student of an arm alike). Within a replicate every teacher answers the same prompts.
"""

import numpy as np


def replicate_seed(seed: int, replicate: int) -> int:
    """The seed of one replicate's own draw, derived from a stage's configured `seed`."""
    return int(np.random.SeedSequence([seed, replicate]).generate_state(1)[0] % 2**31)


def cross_init_replicates(config: dict) -> list[int]:
    """The replicates whose students include the cross_init arms: the first `cross_init_replicates` seeds
    (null: all of them)."""
    return config["seeds"][:config.get("cross_init_replicates")]
