"""Rule fingerprint: how the trait teacher's kept numbers differ from the control teacher's."""
import pandas as pd

from subliminal_learning.analysis.fingerprint import fingerprint_stage
from subliminal_learning.runtime import rule_context

with rule_context(snakemake.log[0], snakemake.threads):
    fingerprint_stage(
        pd.read_parquet(snakemake.input.teacher), pd.read_parquet(snakemake.input.control),
        snakemake.params, snakemake.output,
    )
