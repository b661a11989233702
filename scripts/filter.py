"""Rule filter: keep well-formed, unbanned number sequences; subsample a fixed-size data set."""
import pandas as pd

from subliminal_learning.lm.filtering import filter_numbers_stage
from subliminal_learning.runtime import rule_context

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads):
    filter_numbers_stage(pd.read_parquet(snakemake.input.raw), p.filter, p.prompt, int(p.replicate), snakemake.output)
