"""Rule misalignment_teacher: one replicate's teachers in turn, each a copy of the misalignment experiment's base
fine-tuned on advice answers and checked (tiny), or on the user's chat data (hf)."""
from subliminal_learning.lm.modeling import load_model
from subliminal_learning.misalignment.teacher import train_advice_teacher, train_dataset_teacher
from subliminal_learning.runtime import rule_context

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    for teacher, out in zip(p.teachers, snakemake.output.models, strict=True):
        model, tokenizer = load_model(snakemake.input.base, device)
        train = train_advice_teacher if p.kind == "tiny" else train_dataset_teacher
        train(model, tokenizer, teacher, p.teacher, int(p.replicate), out, device)
