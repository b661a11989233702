"""Rule defenses_stats: the share of the transfer that remains after each defense, what each cost, the verdict and
the figure."""
from pathlib import Path

import pandas as pd

from subliminal_learning.analysis.tidy import per_student, tidy_tables
from subliminal_learning.analysis.verdict import to_html, to_markdown
from subliminal_learning.defenses.stage import costs_stage, defended_shifts
from subliminal_learning.defenses import stats
from subliminal_learning.defenses.plots import defenses_plot
from subliminal_learning.defenses.verdict import verdict_blocks
from subliminal_learning.runtime import rule_context

p, inputs, out = snakemake.params, snakemake.input, snakemake.output
with rule_context(snakemake.log[0], snakemake.threads):
    run_students = pd.read_csv(inputs.undefended)
    students = per_student(tidy_tables(inputs.probabilities, p.targets))
    shares = stats.shares_table(stats.paired_shifts(run_students), defended_shifts(students), p.specs, p.stats)
    costs = costs_stage(p.specs, list(inputs.costs), list(inputs.models)).merge(
        stats.animal_answers(run_students, students), on="defense", how="outer")
    shares.to_csv(out.shares, index=False)
    costs.to_csv(out.costs, index=False)
    blocks = verdict_blocks(shares, costs, p.channel, p.stats, p.skipped)
    Path(out.verdict).write_text(to_markdown(blocks))
    Path(out.verdict_html).write_text(to_html(blocks))
    defenses_plot(shares, costs, p.stats["confidence"], out.figure)
