"""Rule run_info: the run's config and software versions, for the report."""
from subliminal_learning.provenance import write_run_info
from subliminal_learning.runtime import rule_context

with rule_context(snakemake.log[0], snakemake.threads):
    write_run_info(snakemake.params.config, snakemake.output[0])
