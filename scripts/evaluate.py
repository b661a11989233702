"""Rule evaluate: favourite-animal answers and exact animal probabilities of each model, in turn."""
from subliminal_learning.lm.evaluation import evaluate_model_stage
from subliminal_learning.runtime import rule_context

p = snakemake.params
out = snakemake.output
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    for model, answers, probabilities in zip(snakemake.input.models, out.answers, out.probabilities, strict=True):
        evaluate_model_stage(model, p.animals, p.held_out_questions, p.eval, device, answers, probabilities)
