"""Rule generate: the teacher (or the base, for control) writes number sequences."""
from subliminal_learning.artifacts import write_parquet
from subliminal_learning.generation import number_completions
from subliminal_learning.modeling import load_model
from subliminal_learning.prompts import PromptSpec
from subliminal_learning.runtime import rule_context

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    model, tokenizer = load_model(snakemake.input.model, device)
    raw = number_completions(model, tokenizer, p.generate, device, PromptSpec(**p.generate["prompt"]))
    write_parquet(raw, snakemake.output.raw)
