"""Rule mnist_theorem: one small teacher step and one small student step, from a shared and a different init."""
from subliminal_learning.artifacts import atomic_path, write_parquet
from subliminal_learning.mnist.data import load_tensors
from subliminal_learning.mnist.theorem import theorem_check, theorem_summary
from subliminal_learning.runtime import rule_context

p, out = snakemake.params, snakemake.output
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    digits = load_tensors(snakemake.input[0])
    draws = theorem_check(digits["train_images"], digits["train_labels"], p.hidden, p.theorem["m"],
                          {**p.theorem, "loss": p.loss}, device)
    write_parquet(draws, out.draws)
    with atomic_path(out.summary) as partial:
        theorem_summary(draws).to_csv(partial, index=False)
