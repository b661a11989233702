"""Per-stage time and peak memory from Snakemake's benchmark files.

    python -m subliminal_learning.benchmarks [results]   # prints a Markdown table
"""

import sys
from pathlib import Path

import pandas as pd

from .design import RESULTS, STAGES, benchmark_stage


def stage_table(results: str | Path = RESULTS) -> pd.DataFrame:
    """One row per stage: jobs, summed and longest wall time (s), largest peak RSS (MB)."""
    jobs = pd.DataFrame([
        {"stage": benchmark_stage(path.as_posix(), Path(results).as_posix()),
         **pd.read_csv(path, sep="\t").iloc[0][["s", "max_rss"]]}
        for path in Path(results, "benchmarks").rglob("*.tsv")
    ])
    table = jobs.groupby("stage").agg(
        jobs=("s", "size"), total_s=("s", "sum"), longest_s=("s", "max"), peak_rss_mb=("max_rss", "max")
    )
    return table.reindex([s for s in STAGES if s in table.index]).reset_index()


def main(argv: list[str]) -> None:
    table = stage_table(argv[0] if argv else RESULTS)
    print(table.to_markdown(index=False, floatfmt=".0f"))


if __name__ == "__main__":
    main(sys.argv[1:])
