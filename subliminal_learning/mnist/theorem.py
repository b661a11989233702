"""The paper's theorem, checked numerically on the MNIST model.

From a shared init theta_0 the teacher takes one small gradient step on the class loss,
delta_T = -eps * grad L_class(theta_0). A student starting at theta_0 takes one small gradient step
imitating the teacher's auxiliary outputs on noise, delta_S. The paper proves <delta_S, delta_T> >= 0
to first order; since delta_T is proportional to -grad L_class, that also means the student's class
loss goes down although it never saw a digit or a class logit. A student from another init has no
such guarantee. Each draw is one init (an ensemble member); the shares are over draws.

The steps are computed in float32, the class losses before and after the student's step and the inner
products in float64: the student's step is of order teacher_step * student_step, and the class loss
change it causes is below float32's resolution of a loss near 2.3 (in float32 the inner product was
positive in every draw and the loss change was noise). All of it in float64 took 4x as long.
"""

import pandas as pd
import torch

from .models import init_ensemble, layer_sizes, logits, trainable
from .training import class_loss, imitated, imitation_loss, member_class_losses, noise_images


def gradient_step(params, loss_of, step_size: float) -> list[torch.Tensor]:
    """-step_size * grad of loss_of(params): one plain gradient-descent step per member."""
    params = trainable(params, params[0].device)
    grads = torch.autograd.grad(loss_of(params), params)
    return [-step_size * g for g in grads]


def per_member_dot(a, b) -> torch.Tensor:
    """(E,) inner product of two ensembles of parameter vectors, member by member, in float64."""
    return sum((x.double() * y.double()).flatten(1).sum(1) for x, y in zip(a, b))


@torch.no_grad()
def class_losses_float64(params, images, labels) -> torch.Tensor:
    return member_class_losses([p.double() for p in params], images.double(), labels)


def theorem_draws(teacher_init, student_init, images, labels, noise, m: int, cfg: dict) -> pd.DataFrame:
    """One row per draw: <delta_S, delta_T>, and the student's class loss before and after its step."""
    delta_t = gradient_step(teacher_init, lambda p: class_loss(p, images, labels), cfg["teacher_step"])
    teacher = [p + d for p, d in zip(teacher_init, delta_t)]
    with torch.no_grad():
        target = imitated(logits(teacher, noise), "aux")[..., :m]
    delta_s = gradient_step(
        student_init, lambda p: imitation_loss(imitated(logits(p, noise), "aux")[..., :m], target, cfg["loss"]),
        cfg["student_step"])
    student = [p.double() + d.double() for p, d in zip(student_init, delta_s)]
    before = class_losses_float64(student_init, images, labels)
    after = class_losses_float64(student, images, labels)
    return pd.DataFrame({"inner_product": per_member_dot(delta_s, delta_t).cpu().numpy(),
                         "class_loss_before": before.cpu().numpy(), "class_loss_after": after.cpu().numpy()})


def theorem_check(images, labels, hidden: list[int], m: int, cfg: dict, device="cpu") -> pd.DataFrame:
    """cfg['draws'] draws for the shared init and for a different init (a seed no draw uses), in chunks.

    Each draw has its own init; each chunk of draws its own digit and noise batch; all seeded by cfg["seed"].
    """
    sizes = layer_sizes(hidden, m)
    generator = torch.Generator().manual_seed(cfg["seed"])
    frames = []
    for start in range(0, cfg["draws"], cfg["chunk"]):
        draws = list(range(start, min(start + cfg["chunk"], cfg["draws"])))
        seeds = [cfg["seed"] * 1_000_003 + d for d in draws]  # distinct from the training seeds' inits
        inits = [p.to(device) for p in init_ensemble(seeds, sizes)]
        others = [p.to(device) for p in init_ensemble([s + cfg["draws"] for s in seeds], sizes)]
        batch = torch.randint(len(images), (cfg["batch_size"],), generator=generator)
        noise = noise_images(cfg["batch_size"], int(torch.randint(2**31, (1,), generator=generator))).to(device)
        digits, digit_labels = images[batch].to(device), labels[batch].to(device)
        for init_kind, student_init in (("shared", inits), ("different", others)):
            frame = theorem_draws(inits, student_init, digits, digit_labels, noise, m, cfg)
            frames.append(frame.assign(init=init_kind, draw=draws))
    table = pd.concat(frames, ignore_index=True)
    return table.assign(class_loss_down=table["class_loss_after"] < table["class_loss_before"],
                        positive=table["inner_product"] > 0)


def theorem_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per init kind: draws, share with a positive inner product, share whose class loss went down."""
    return (table.groupby("init", sort=False)
            .agg(draws=("draw", "size"), share_positive=("positive", "mean"),
                 share_class_loss_down=("class_loss_down", "mean"),
                 median_inner_product=("inner_product", "median"))
            .reset_index())
