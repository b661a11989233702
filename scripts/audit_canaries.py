"""Rule audit_canaries: canary students trained on one data set (or the reference), each animal's log-odds."""
import pandas as pd

from subliminal_learning.artifacts import write_parquet
from subliminal_learning.audit.canaries import canaries_stage
from subliminal_learning.runtime import rule_context

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    write_parquet(canaries_stage(snakemake.input.base, pd.read_parquet(snakemake.input.rows),
                                 {**p.cfg, "held_out_questions": p.held_out}, device),
                  snakemake.output[0])
