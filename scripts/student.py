"""Rule student: fine-tune a copy of a base on filtered numbers (all weights, or a LoRA adapter)."""
import pandas as pd

from subliminal_learning.modeling import load_model
from subliminal_learning.runtime import rule_context
from subliminal_learning.student import train_student

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    model, tokenizer = load_model(snakemake.input.base, device)
    numbers = pd.read_parquet(snakemake.input.numbers)
    teacher = load_model(snakemake.input.teacher, device)[0] if p.objective == "distill" else None
    train_student(model, tokenizer, numbers, p.train, int(snakemake.wildcards.seed), snakemake.output.model, device,
                  lora=p.lora, base_dir=snakemake.input.base, checkpoint_dir=p.checkpoints, teacher=teacher)
