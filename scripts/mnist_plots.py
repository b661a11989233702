"""Rule mnist_plots: accuracy per arm against m (the sweep), and the theorem check's inner products."""
import pandas as pd

from subliminal_learning.artifacts import atomic_path
from subliminal_learning.mnist.plots import sweep_plot, theorem_plot
from subliminal_learning.runtime import rule_context

out = snakemake.output
with rule_context(snakemake.log[0], snakemake.threads):
    with atomic_path(out.sweep) as partial:
        sweep_plot(pd.read_parquet(snakemake.input.accuracy), pd.read_csv(snakemake.input.summary),
                   snakemake.params.chance, partial)
    with atomic_path(out.theorem) as partial:
        theorem_plot(pd.read_parquet(snakemake.input.theorem), partial)
