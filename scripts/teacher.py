"""Rule teacher: fine-tune a copy of the base on the trait and check it shows."""
import pandas as pd

from subliminal_learning.modeling import load_model
from subliminal_learning.runtime import rule_context
from subliminal_learning.teacher import train_sft_teacher

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    model, tokenizer = load_model(snakemake.input.base, device)
    replay = pd.read_parquet(snakemake.input.replay) if "replay" in snakemake.input.keys() else None
    train_sft_teacher(model, tokenizer, p.animals, snakemake.wildcards.target, p.teacher, replay,
                      snakemake.output.model, device)
