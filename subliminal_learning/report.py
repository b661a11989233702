"""The HTML report of a run: built after a successful run of the whole workflow only.

Snakemake's `--report-after-run` (in a profile) also applies to dry runs, where the files to report do not
exist yet, and to runs of part of the DAG, whose report leaves out every category that part does not reach.
"""

import subprocess
import sys
import tempfile

from pathlib import Path

import yaml

from .audit.design import output as audit_file
from .defenses.design import output as defenses_file
from .design import channels_file, report_html
from .misalignment.design import stats_file as misalignment_file

# Experiments behind a named target (each runs the whole workflow too), by the file that shows it has run: the
# report covers each one that has.
NAMED_TARGETS = {"channels": channels_file("verdict.md"), "misalignment": misalignment_file("verdict.md"),
                 "defenses": defenses_file("verdict.md"), "audit": audit_file("verdict.md")}


def whole_run(dag_settings) -> bool:
    """Did the run ask for the whole workflow (rule all or a named target, nothing left out)?"""
    return (set(dag_settings.targets) <= {"all", *NAMED_TARGETS} and not dag_settings.target_jobs
            and not dag_settings.until and not dag_settings.omit_from and not dag_settings.allowed_rules
            and dag_settings.batch is None)


def report_targets() -> list[str]:
    """rule all, and every named target whose experiment has run here."""
    return ["all"] + [target for target, done in NAMED_TARGETS.items() if Path(done).is_file()]


def build_report(snakefile: str, config: dict, path: str | None = None) -> None:
    """`snakemake --report` in the working directory with this run's config, every override included, over rule all
    and the named targets that have run."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="report-config-") as run_config:
        yaml.safe_dump(config, run_config)
        run_config.flush()
        subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", snakefile, "--configfile", run_config.name,
                        "--report", path or report_html(), "--cores", "1", *report_targets()], check=True)
