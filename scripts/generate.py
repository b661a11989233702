"""Rule generate: every teacher (or the base, for control) answers one replicate's number prompts."""
from subliminal_learning.artifacts import write_parquet
from subliminal_learning.lm.generation import generate_stage
from subliminal_learning.lm.prompts import PromptSpec
from subliminal_learning.runtime import rule_context

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    for model, raw in zip(snakemake.input.models, snakemake.output.raw, strict=True):
        write_parquet(generate_stage(model, p.generate, device, PromptSpec(**p.generate["prompt"]), int(p.replicate)),
                      raw)
