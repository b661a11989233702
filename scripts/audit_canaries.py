"""Rule audit_canaries: canary students trained on one data set (or the reference), each animal's log-odds; for a
run teacher's data set, the per-row score of its held-out rows and of the control teacher's."""
import pandas as pd

from subliminal_learning.artifacts import write_parquet
from subliminal_learning.audit.canaries import canaries_stage
from subliminal_learning.lm.filtering import held_out_rows
from subliminal_learning.runtime import rule_context

p, inputs, out = snakemake.params, snakemake.input, snakemake.output
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    scored = {label: held_out_rows(pd.read_parquet(inputs[f"{label}_raw"]), pd.read_parquet(inputs[f"{label}_kept"]),
                                   p.filter, p.prompt)
              for label in p.scored}
    logodds, scores = canaries_stage(inputs.base, pd.read_parquet(inputs.rows),
                                     {**p.cfg, "held_out_questions": p.held_out}, device, scored)
    write_parquet(logodds, out.logodds)
    write_parquet(scores, out.row_scores)
