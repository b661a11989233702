"""Training the MNIST ensembles: the teacher on digits, students on the teacher's outputs on noise.

Every member of an ensemble sees the same batches. The loss is the sum over members of each member's
mean loss, so each member's gradient is its own, and Adam (elementwise) updates each as if alone.
"""

import torch
import torch.nn.functional as F

from .models import N_CLASSES, N_PIXELS, init_ensemble, layer_sizes, logits, trainable

LOSSES = ("kl", "mse")


def member_class_losses(params, images, labels) -> torch.Tensor:
    """(E,) each member's mean cross-entropy on the 10 class logits only; the auxiliary logits get no loss."""
    class_logits = logits(params, images)[..., :N_CLASSES]
    per_image = F.cross_entropy(class_logits.transpose(1, 2), labels.expand(len(class_logits), -1), reduction="none")
    return per_image.mean(1)


def class_loss(params, images, labels) -> torch.Tensor:
    """The members' class losses summed: each member's gradient is its own."""
    return member_class_losses(params, images, labels).sum()


def imitation_loss(student_out: torch.Tensor, teacher_out: torch.Tensor, loss: str) -> torch.Tensor:
    """How far the student's logits are from the teacher's on the same inputs, summed over members.

    kl: KL(teacher softmax || student softmax) at temperature 1. Over one logit a softmax is constant,
    so with m = 1 auxiliary logit the KL and its gradient are exactly zero: the student learns nothing.
    mse: squared difference of the logits themselves.
    """
    if loss == "kl":
        per_row = F.kl_div(F.log_softmax(student_out, -1), F.log_softmax(teacher_out, -1), log_target=True,
                           reduction="none").sum(-1)
    elif loss == "mse":
        per_row = (student_out - teacher_out).pow(2).mean(-1)
    else:
        raise ValueError(f"unknown imitation loss {loss!r}; choose from {LOSSES}")
    return per_row.mean(1).sum()


def imitated(out: torch.Tensor, logits_imitated: str) -> torch.Tensor:
    """The logits a student imitates: the m auxiliary ones ('aux') or all 10 + m ('all')."""
    return out[..., N_CLASSES:] if logits_imitated == "aux" else out


def train_teacher(init, images, labels, cfg: dict, device) -> list[torch.Tensor]:
    """Adam on the class loss for cfg['steps'] batches drawn (with a seeded order) from the digits."""
    params = trainable(init, device)
    optimiser = torch.optim.Adam(params, lr=cfg["learning_rate"])
    images, labels = images.to(device), labels.to(device)
    for batch in _batches(len(images), cfg["batch_size"], cfg["steps"], cfg["seed"]):
        optimiser.zero_grad(set_to_none=True)
        class_loss(params, images[batch], labels[batch]).backward()
        optimiser.step()
    return [p.detach() for p in params]


def reference_and_teachers(digits: dict, hidden: list[int], max_m: int, seeds: list[int], cfg: dict, device):
    """Every seed's reference init (with the widest auxiliary head of the sweep) and its trained teacher."""
    init = init_ensemble(seeds, layer_sizes(hidden, max_m))
    teacher = train_teacher(init, digits["train_images"], digits["train_labels"], cfg, device)
    return init, [p.cpu() for p in teacher]


def noise_images(n: int, seed: int) -> torch.Tensor:
    """n uniform noise images in [-1, 1], the student's only inputs."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, N_PIXELS, generator=generator) * 2 - 1


def train_student(init, teacher, noise, cfg: dict, logits_imitated: str, device) -> list[torch.Tensor]:
    """Adam on the imitation loss of the teacher's logits (member k imitates teacher member k) on noise."""
    params = trainable(init, device)
    teacher = [p.to(device) for p in teacher]
    noise = noise.to(device)
    optimiser = torch.optim.Adam(params, lr=cfg["learning_rate"])
    steps = int(cfg["epochs"] * len(noise)) // cfg["batch_size"]
    for batch in _batches(len(noise), cfg["batch_size"], steps, cfg["seed"]):
        with torch.no_grad():
            target = imitated(logits(teacher, noise[batch]), logits_imitated)
        optimiser.zero_grad(set_to_none=True)
        imitation_loss(imitated(logits(params, noise[batch]), logits_imitated), target, cfg["loss"]).backward()
        optimiser.step()
    return [p.detach() for p in params]


def _batches(n: int, batch_size: int, steps: int, seed: int):
    """`steps` index batches; each pass over the n rows in a fresh seeded order (epochs)."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.empty(0, dtype=torch.long)
    for _ in range(steps):
        while len(order) < batch_size:
            order = torch.cat([order, torch.randperm(n, generator=generator)])
        batch, order = order[:batch_size], order[batch_size:]
        yield batch
