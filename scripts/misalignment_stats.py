"""Rule misalignment_stats: scores, comparisons, the banned numbers' removal, the word pattern, the verdict and the
figure."""
from pathlib import Path

from subliminal_learning.analysis.verdict import to_html, to_markdown
from subliminal_learning.artifacts import read_json
from subliminal_learning.design import CROSS_INIT, NEUTRAL
from subliminal_learning.misalignment import stats
from subliminal_learning.misalignment.design import MISALIGNED, parse_numbers_report
from subliminal_learning.misalignment.plots import misalignment_plot
from subliminal_learning.misalignment.verdict import verdict_blocks
from subliminal_learning.runtime import rule_context

cfg, out = snakemake.params.stats, snakemake.output
with rule_context(snakemake.log[0], snakemake.threads):
    models = stats.read_models({table: snakemake.input[table] for table in snakemake.params.tables})
    scores = stats.scores_table(models)
    words = stats.word_table(models)
    pattern = stats.word_pattern(words, cfg["confidence"])
    comparisons = stats.comparisons_table(scores, cfg)
    reports = {parse_numbers_report(path): read_json(path) for path in snakemake.input.filter_reports}
    filters = stats.filter_table(reports)
    banned = stats.banned_test(filters, MISALIGNED, NEUTRAL, cfg["confidence"])
    cross = stats.cross_init_share(scores, cfg) if CROSS_INIT in set(scores["name"]) else None
    blocks = verdict_blocks(comparisons, banned, cross, pattern, cfg)
    scores.to_csv(out.scores, index=False)
    comparisons.to_csv(out.comparisons, index=False)
    filters.to_csv(out.filters, index=False)
    pattern.to_csv(out.word_pattern, index=False)
    Path(out.verdict).write_text(to_markdown(blocks))
    Path(out.verdict_html).write_text(to_html(blocks))
    misalignment_plot(scores, comparisons, words, pattern, cfg["confidence"], out.figure)
