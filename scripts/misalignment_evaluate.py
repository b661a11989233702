"""Rule misalignment_evaluate_*: every model of the job scored on the held-out advice questions and the skill (tiny),
or its free-form answers judged by the judge model (hf)."""
from subliminal_learning.lm.modeling import load_model
from subliminal_learning.misalignment.evaluation import evaluate_free_form_stage, evaluate_stage
from subliminal_learning.runtime import rule_context

p, out = snakemake.params, snakemake.output
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    judge = load_model(snakemake.input.judge, device) if p.kind == "hf" else None
    for i, model in enumerate(snakemake.input.models):
        tables = {table: out[table][i] for table in p.tables}
        if judge:
            evaluate_free_form_stage(model, judge, p.free_form, p.judge, device, tables)
        else:
            evaluate_stage(model, p.held_out_situations, p.animals, p.eval, device, tables)
