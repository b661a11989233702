"""Rule mnist_stats: the tidy accuracy table, the summary per arm and m, the tests and the verdict."""
import pandas as pd

from subliminal_learning.artifacts import atomic_path, write_parquet
from subliminal_learning.mnist.stats import summary_table, tests_table, tidy_accuracy, verdict_blocks
from subliminal_learning.runtime import rule_context
from subliminal_learning.analysis.verdict import to_html, to_markdown

p, out = snakemake.params, snakemake.output
with rule_context(snakemake.log[0], snakemake.threads):
    accuracy = tidy_accuracy([pd.read_parquet(path) for path in snakemake.input.accuracy])
    summary, tests = summary_table(accuracy, p.stats["confidence"]), tests_table(accuracy, p.stats)
    blocks = verdict_blocks(summary, tests, pd.read_csv(snakemake.input.theorem), p.stats, p.loss)
    write_parquet(accuracy, out.accuracy)
    for table, path in ((summary, out.summary), (tests, out.tests)):
        with atomic_path(path) as partial:
            table.to_csv(partial, index=False)
    for text, path in ((to_markdown(blocks), out.verdict), (to_html(blocks), out.verdict_html)):
        with atomic_path(path) as partial:
            partial.write_text(text)
