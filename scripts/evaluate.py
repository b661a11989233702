"""Rule evaluate: favourite-animal answers and exact animal probabilities of one model."""
from subliminal_learning.evaluation import evaluate_model_stage
from subliminal_learning.runtime import rule_context

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    evaluate_model_stage(snakemake.input.model, p.animals, p.held_out_questions, p.eval, device, snakemake.output)
