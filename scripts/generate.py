"""Rule generate: the teacher (or the base, for control) writes number sequences."""
from subliminal_learning.artifacts import write_parquet
from subliminal_learning.generation import generate_stage
from subliminal_learning.prompts import PromptSpec
from subliminal_learning.runtime import rule_context

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    raw = generate_stage(snakemake.input.model, p.generate, device, PromptSpec(**p.generate["prompt"]),
                         int(p.replicate))
    write_parquet(raw, snakemake.output.raw)
