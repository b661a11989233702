"""Rule audit_stats: the audit's call on every data set, its scores against what the run's data sets carry, the
verdict and the figure."""
from pathlib import Path

import pandas as pd

from subliminal_learning.analysis.verdict import to_html, to_markdown
from subliminal_learning.audit import stats
from subliminal_learning.audit.plots import audit_plot
from subliminal_learning.audit.verdict import verdict_blocks
from subliminal_learning.runtime import rule_context

p, out = snakemake.params, snakemake.output
with rule_context(snakemake.log[0], snakemake.threads):
    tables = {name: pd.read_parquet(path) for name, path in zip(p.names, snakemake.input.canaries, strict=True)}
    audited = {name: tables[name] for name in p.references}
    references = {name: tables[reference] for name, reference in p.references.items()}
    calls = stats.calls_table(audited, references, p.truths, p.audit, p.stats)
    shifts = stats.shifts_table(audited, references)
    summary = stats.summary(calls)
    scores = {name: pd.read_parquet(path) for name, path in zip(p.audited, snakemake.input.row_scores, strict=True)}
    row_scores = stats.row_score_table(scores, p.truths, p.stats["confidence"], p.audit["seed"])
    row_scores.to_csv(out.row_scores, index=False)
    calls.to_csv(out.calls, index=False)
    shifts.to_csv(out.shifts, index=False)
    summary.to_csv(out.summary, index=False)
    blocks = verdict_blocks(calls, summary, row_scores, p.audit, p.stats)
    Path(out.verdict).write_text(to_markdown(blocks))
    Path(out.verdict_html).write_text(to_html(blocks))
    audit_plot(shifts, calls, p.animals, out.figure)
