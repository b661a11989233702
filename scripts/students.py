"""Rule students: every student of one base in one replicate, each a fresh copy of the base trained on its
teacher's filtered numbers (all weights, or a LoRA adapter)."""
import pandas as pd

from subliminal_learning.runtime import rule_context
from subliminal_learning.lm.student import train_students

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    train_students(
        snakemake.input.base, [pd.read_parquet(path) for path in snakemake.input.numbers],
        snakemake.input.teachers if p.objective == "distill" else None, list(snakemake.output.models),
        p.checkpoints, p.train, int(p.replicate), device, lora=p.lora, distill_loss=p.distill_loss,
        top_k=p.top_k if p.objective == "topk" else 0,
    )
