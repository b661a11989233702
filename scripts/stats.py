"""Rule stats: per-condition estimates, paired tests and the verdict."""
from subliminal_learning.runtime import rule_context
from subliminal_learning.analysis.stats import stats_stage

with rule_context(snakemake.log[0], snakemake.threads):
    stats_stage(snakemake.input, snakemake.params, snakemake.output)
