"""Rule channels_comparison: every channel's shift per target beside the run's own, a figure and a verdict."""
import pandas as pd

from subliminal_learning.analysis.channels import comparison_table, verdict_lines
from subliminal_learning.analysis.plots import channels_plot
from subliminal_learning.analysis.verdict import to_html, to_markdown
from subliminal_learning.artifacts import atomic_path
from subliminal_learning.runtime import rule_context

i, p, o = snakemake.input, snakemake.params, snakemake.output
with rule_context(snakemake.log[0], snakemake.threads):
    tables = {
        channel: tuple(pd.read_csv(path) for path in paths)
        for channel, *paths in zip(p.channels, i.summaries, i.per_student, i.specificity, strict=True)
    }
    table = comparison_table(tables, p.stats["confidence"])
    with atomic_path(o.table) as partial:
        table.to_csv(partial, index=False)
    channels_plot(table, o.figure)
    blocks = [
        ("heading", "Channels"),
        ("paragraph", "The same teachers and arms, students trained through each channel; each channel tested as the "
                      "run is (its own Holm family). Share: the channel's shift over the run's own students' "
                      f"({p.channels[0]}) of the same replicates, with Fieller's {p.stats['confidence']:.0%} interval."),
        ("items", verdict_lines(table, dict(zip(p.channels, p.descriptions)), p.stats["alpha"])),
        ("table", table.drop(columns=["n_animals"])),
    ]
    for render, path in ((to_markdown, o.verdict), (to_html, o.verdict_html)):
        with atomic_path(path) as partial:
            partial.write_text(render(blocks))
