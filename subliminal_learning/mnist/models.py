"""The MNIST experiment's model: an MLP 784 -> 256 -> 256 -> (10 + m), as a batched ensemble.

An ensemble holds the weights of E models stacked along a first axis, so that every seed of an arm
trains in one batched matmul (the paper trained 100 models in parallel), never in a Python loop over
models. Member k of an ensemble built from seeds [s_0, ...] has exactly the weights a single model
built from seed s_k has: each member draws its init from its own generator.
"""

import math

import torch

from ..artifacts import atomic_path

N_CLASSES = 10
N_PIXELS = 784
ENSEMBLE_KEYS = ("init", "teacher")


def layer_sizes(hidden: list[int], m: int) -> list[int]:
    return [N_PIXELS, *hidden, N_CLASSES + m]


def init_member(seed: int, sizes: list[int]) -> list[torch.Tensor]:
    """One model's reference init: weights normal(0, 1/sqrt(fan_in)), biases zero; W0, b0, W1, b1, ...

    The output layer's class columns come first, then each auxiliary column in its own draw, so a model
    with m auxiliary logits has the first m auxiliary columns of any wider one from the same seed: one
    teacher with the most auxiliary logits serves every m of the sweep (the class loss never touches them).
    """
    generator = torch.Generator().manual_seed(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
        params += [_normal(fan_in, fan_out, generator), torch.zeros(fan_out)]
    fan_in, n_aux = sizes[-2], sizes[-1] - N_CLASSES
    columns = [_normal(fan_in, N_CLASSES, generator)] + [_normal(fan_in, 1, generator) for _ in range(n_aux)]
    return params + [torch.cat(columns, 1), torch.zeros(sizes[-1])]


def _normal(fan_in: int, fan_out: int, generator) -> torch.Tensor:
    return torch.randn(fan_in, fan_out, generator=generator) / math.sqrt(fan_in)


def init_ensemble(seeds: list[int], sizes: list[int]) -> list[torch.Tensor]:
    """The reference inits of `seeds`, stacked: weights (E, fan_in, fan_out), biases (E, fan_out)."""
    members = [init_member(seed, sizes) for seed in seeds]
    return [torch.stack(tensors) for tensors in zip(*members)]


def trainable(params: list[torch.Tensor], device) -> list[torch.Tensor]:
    """Independent leaf copies of `params` on `device` that collect gradients."""
    return [p.detach().clone().to(device).requires_grad_(True) for p in params]


def logits(params: list[torch.Tensor], images: torch.Tensor) -> torch.Tensor:
    """(E, B, 10 + m) logits of every member on the same batch `images` (B, 784)."""
    weights, biases = params[0::2], params[1::2]
    # The first layer reads one batch shared by all members: a single einsum, no per-member copy of it.
    hidden = torch.einsum("bi,eio->ebo", images, weights[0]) + biases[0][:, None, :]
    for weight, bias in zip(weights[1:], biases[1:]):
        hidden = torch.baddbmm(bias[:, None, :], torch.relu(hidden), weight)
    return hidden


def select(params: list[torch.Tensor], members) -> list[torch.Tensor]:
    """The sub-ensemble of the given member indices, in that order (a derangement permutes inits)."""
    index = torch.as_tensor(list(members), dtype=torch.long)
    return [p.detach()[index].clone() for p in params]


@torch.no_grad()
def accuracy(params: list[torch.Tensor], images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(E,) share of `images` each member classifies right by its 10 class logits."""
    predicted = logits(params, images)[..., :N_CLASSES].argmax(-1)
    return (predicted == labels[None, :]).float().mean(1)


def save_ensembles(models: dict, path) -> None:
    """{name: ensemble or plain value} to one torch file, written atomically."""
    with atomic_path(path) as partial:
        torch.save({k: [p.cpu() for p in v] if k in ENSEMBLE_KEYS else v for k, v in models.items()}, partial)


def load_ensembles(path) -> dict:
    return torch.load(path, weights_only=True)
