"""Per-stage time and peak memory from Snakemake's benchmark files.

    python -m subliminal_learning.benchmarks [results]   # prints a Markdown table
"""

import sys
from pathlib import Path

import pandas as pd


STAGES = ("base", "teacher", "generate", "filter", "student", "evaluate", "stats", "fingerprint", "plots",
          "run_info", "mnist")
FOLDER_STAGE = {"teachers": "teacher", "students": "student", "eval": "evaluate"}


def stage_of(relative: Path) -> str:
    """results/benchmarks/<folder>/... -> stage; numbers/<teacher>/{generate,filter}.tsv name their stage,
    as do single-job stages (stats.tsv); every job of the MNIST experiment counts as stage mnist."""
    folder = relative.parts[0]
    if folder == "numbers" or len(relative.parts) == 1:
        return relative.stem
    return FOLDER_STAGE.get(folder, folder)


def stage_table(results: str | Path = "results") -> pd.DataFrame:
    """One row per stage: jobs, summed and longest wall time (s), largest peak RSS (MB)."""
    root = Path(results, "benchmarks")
    jobs = pd.DataFrame([
        {"stage": stage_of(path.relative_to(root)), **pd.read_csv(path, sep="\t").iloc[0][["s", "max_rss"]]}
        for path in root.rglob("*.tsv")
    ])
    table = jobs.groupby("stage").agg(
        jobs=("s", "size"), total_s=("s", "sum"), longest_s=("s", "max"), peak_rss_mb=("max_rss", "max")
    )
    return table.reindex([s for s in STAGES if s in table.index]).reset_index()


def main(argv: list[str]) -> None:
    table = stage_table(argv[0] if argv else "results")
    print(table.to_markdown(index=False, floatfmt=".0f"))


if __name__ == "__main__":
    main(sys.argv[1:])
