"""The defenses on the teacher's outputs: each a function of the distillation targets, the teacher's logits over the
number alphabet at one position per row ([positions, alphabet]), applied as a student reads them
(`lm.training.DistillSFTTrainer`)."""

import torch

from ..replicates import replicate_seed


def top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Truncation to the teacher's k most probable tokens: every logit below the k-th largest raised to it, so the
    tail says nothing but "not in the top k" (a student matching centred logits needs a value at every token)."""
    kth = logits.topk(min(k, logits.shape[-1]), dim=-1).values[:, -1:]
    return torch.maximum(logits, kth)


def temperature(logits: torch.Tensor, t: float) -> torch.Tensor:
    return logits / t


def rounding(logits: torch.Tensor, step: float) -> torch.Tensor:
    """The log-probabilities over the alphabet rounded to a multiple of `step` (what an API rounding its
    log-probabilities returns)."""
    return torch.round(torch.log_softmax(logits, dim=-1) / step) * step


class Noise:
    """Gaussian noise of standard deviation `sd` on every target, from its own seeded generator."""

    def __init__(self, sd: float, seed: int):
        self.sd, self.generator = sd, torch.Generator().manual_seed(seed)

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        draw = torch.randn(logits.shape, generator=self.generator)
        return logits + self.sd * draw.to(logits.device, logits.dtype)


def transform(spec: dict, seed: int):
    """The target transformation of a defense (`defenses.design.KINDS`, point targets); `seed` seeds its noise."""
    kind = spec["kind"]
    if kind == "top_k":
        return lambda logits: top_k(logits, spec["k"])
    if kind == "temperature":
        return lambda logits: temperature(logits, spec["t"])
    if kind == "rounding":
        return lambda logits: rounding(logits, spec["step"])
    if kind == "noise":
        return Noise(spec["sd"], seed)
    raise ValueError(f"{kind!r} is not a defense on the teacher's outputs")


def student_transforms(spec: dict, seed: int, replicate: int):
    """For a students job: the index of a student -> its transformation (each student's noise its own draw)."""
    return lambda index: transform(spec, replicate_seed(seed, replicate) * 1000 + index)
