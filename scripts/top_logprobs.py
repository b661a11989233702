"""Rule top_logprobs: one teacher's kept rows of one replicate with its top-k log-probabilities at every token."""
import pandas as pd

from subliminal_learning.artifacts import write_parquet
from subliminal_learning.lm.logprobs import top_logprobs_stage
from subliminal_learning.runtime import rule_context

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    write_parquet(top_logprobs_stage(snakemake.input.model, pd.read_parquet(snakemake.input.rows), p.k, device),
                  snakemake.output[0])
