"""Rule base: build and pretrain the tiny base model."""
from subliminal_learning.base import build_tiny_base
from subliminal_learning.prompts import PromptSpec
from subliminal_learning.runtime import rule_context

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    build_tiny_base(p.animals, p.base, PromptSpec(**p.prompt), p.init_seed, snakemake.output.model, device)
