"""Rule plots: the trait figure and the animal-shift figure of one target."""
import pandas as pd

from subliminal_learning.artifacts import atomic_path
from subliminal_learning.analysis.plots import animal_shift_plot, trait_plot
from subliminal_learning.runtime import rule_context

p, out = snakemake.params, snakemake.output
with rule_context(snakemake.log[0], snakemake.threads):
    summary = pd.read_csv(snakemake.input.summary)
    with atomic_path(out.trait) as partial:
        trait_plot(summary, pd.read_csv(snakemake.input.per_student), p.target, partial, p.confidence)
    with atomic_path(out.animal_shifts) as partial:
        animal_shift_plot(pd.read_parquet(snakemake.input.animals), summary, p.target, partial)
