"""Rule teacher: for each of one replicate's teachers in turn, fine-tune a copy of the base on its trait (sft), or give the base the
paper's system prompt (system_prompt); either way check the trait shows."""
import pandas as pd

from subliminal_learning.lm.modeling import load_model
from subliminal_learning.runtime import rule_context
from subliminal_learning.lm.teacher import system_prompt_teacher, train_sft_teacher

p = snakemake.params
replay = pd.read_parquet(snakemake.input.replay) if "replay" in snakemake.input.keys() else None
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    for target, out in zip(p.teachers, snakemake.output.models, strict=True):
        model, tokenizer = load_model(snakemake.input.base, device)
        if p.teacher["mode"] == "system_prompt":
            system_prompt_teacher(model, tokenizer, snakemake.input.base, p.animals, target, p.teacher, out, device)
        else:
            train_sft_teacher(model, tokenizer, p.animals, target, p.teacher, int(p.replicate), replay, out, device)
