"""Rule students: every student of one base in one replicate, each a fresh copy of the base trained on its
teacher's filtered numbers (all weights, or a LoRA adapter); a defense's students may read some targets from an
alternate model and every target through the defense's transformation."""
import pandas as pd

from subliminal_learning.defenses.targets import student_transforms
from subliminal_learning.runtime import rule_context
from subliminal_learning.lm.student import train_students

p = snakemake.params
targets = getattr(p, "targets", None)  # a defense on the teacher's outputs: (its settings, its seed)
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    train_students(
        snakemake.input.base, [pd.read_parquet(path) for path in snakemake.input.numbers],
        snakemake.input.teachers if p.objective == "distill" else None, list(snakemake.output.models),
        p.checkpoints, p.train, int(p.replicate), device, lora=p.lora, distill_loss=p.distill_loss,
        top_k=p.top_k if p.objective == "topk" else 0, alternate_dirs=snakemake.input.get("alternates"),
        target_transform=student_transforms(*targets, int(p.replicate)) if targets else None,
    )
