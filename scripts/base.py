"""Rule base: build and pretrain the tiny base model, or point at an open-weight one."""
from subliminal_learning.lm.base import build_tiny_base, write_hf_base
from subliminal_learning.lm.prompts import PromptSpec
from subliminal_learning.runtime import rule_context

p = snakemake.params
if p.base["kind"] == "hf":
    with rule_context(snakemake.log[0], snakemake.threads):
        write_hf_base(p.init, snakemake.output.model)
else:
    with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
        build_tiny_base(p.animals, p.base, PromptSpec(**p.prompt), p.init, snakemake.output.model, device)
