"""Rule target_animal_plot: each target's students against the control on every animal, as a heatmap."""
import pandas as pd

from subliminal_learning.artifacts import atomic_path
from subliminal_learning.analysis.plots import target_animal_plot
from subliminal_learning.runtime import rule_context

inputs = snakemake.input
with rule_context(snakemake.log[0], snakemake.threads), atomic_path(snakemake.output[0]) as partial:
    target_animal_plot(pd.read_csv(inputs.table), pd.read_csv(inputs.specificity), pd.read_csv(inputs.population),
                       partial)
