"""What the audit reads and writes (all under results/audit/): the data sets it audits, the reference it compares
them with, and the canaries' reads.

A data set is a numbers file: prompt and completion per row, and where the model that wrote it returned them, its
top-k log-probabilities at every token (`lm.training.TOP_COLUMNS`). In the default the audit reads every teacher's
kept numbers of the first `audit.replicates` replicates, with the teacher's top-k, as a data buyer would receive
them; `audit.files` adds any numbers file a user brings. The reference is the base's own numbers, generated and
filtered as the run's, with the base's top-k: data that carry nothing the base does not already have.
"""

from ..design import BASE, CONTROL, Design, benchmark, log, number_source, plot, replicate, result
from ..design import numbers as run_numbers

ROOT = "audit"
REFERENCE = "reference"
FILES = "files"
TOP_LOGPROBS, TEXT = "top_logprobs", "text"
OWN = "own"  # a data set's teacher's held-out rows, scored against the control teacher's (CONTROL)
# how a canary reads a data set: distils its top-k log-probabilities (as the run's top-k channel) or fine-tunes on
# its completions (sft)
READS = (TOP_LOGPROBS, TEXT)


def data(name: str, file: str) -> str:
    """A data set as the audit reads it: results/audit/data/owl/seed1/top_logprobs.parquet."""
    return result(ROOT, "data", name, file)


def canaries(name: str, file: str = "logodds.parquet") -> str:
    """The canaries' log-odds of every animal, per read and canary seed (logodds.parquet), and the per-row scores of
    the rows held out of a teacher's data set and of the control teacher's (row_scores.parquet)."""
    return result(ROOT, "canaries", name, file)


def output(name: str) -> str:
    return result(ROOT, name)


def figure() -> str:
    return plot("audit.png")


def audit_log(stage: str, name: str) -> str:
    return log(stage, ROOT, name)


def audit_benchmark(stage: str, name: str) -> str:
    return benchmark(stage, ROOT, name)


class AuditDesign:
    """The data sets a config audits, what each is compared with and what is known of each (for scoring only: the
    canaries never see it)."""

    def __init__(self, config: dict):
        self.config = config
        self.design = Design(config)
        self.section = config.get("audit") or {}
        self.seeds = config["seeds"][:self.section.get("replicates")]
        self.files = self.section.get("files") or {}

    def teachers(self) -> list[str]:
        return self.design.teacher_names()

    def run_sets(self) -> list[str]:
        """The run's teachers' data sets: owl/seed1, ..."""
        return [f"{teacher}/{replicate(seed)}" for seed in self.seeds for teacher in self.teachers()]

    def references(self) -> list[str]:
        return [f"{REFERENCE}/{replicate(seed)}" for seed in self.seeds]

    def user_sets(self) -> list[str]:
        return [f"{FILES}/{name}" for name in self.files]

    def audited(self) -> list[str]:
        return self.run_sets() + self.user_sets()

    def reference_of(self, name: str) -> str:
        """The reference a data set is compared with: its replicate's; a user's file, the first replicate's."""
        seed = name.split("/")[1] if not name.startswith(f"{FILES}/") else replicate(self.seeds[0])
        return f"{REFERENCE}/{seed}"

    def truth(self, name: str) -> str | None:
        """What a data set carries, for scoring: a trait teacher's target, 'none' for the control and placebo
        teachers, None (unknown) for a user's file."""
        if name.startswith(f"{FILES}/"):
            return None
        teacher = name.split("/")[0]
        return teacher if teacher in self.config["targets"] else "none"

    def rows(self, name: str) -> str:
        """The file a data set's canaries train on."""
        if name.startswith(f"{FILES}/"):
            return self.files[name.split("/", 1)[1]]
        return data(name, "top_logprobs.parquet")

    def source(self, name: str) -> tuple[str, str]:
        """(kept rows, the model whose top-k they get) of a run data set or a reference."""
        teacher, seed = name.split("/")
        seed = seed.removeprefix("seed")
        if teacher == REFERENCE:
            return data(name, "filtered.parquet"), number_source(BASE, seed)
        return run_numbers(teacher, seed, "filtered.parquet"), number_source(teacher, seed)

    def scored_sources(self, name: str) -> dict:
        """label -> (raw, kept rows) of the rows a data set's canary scores: the held-out rows of its own teacher and
        of the control teacher, for a run teacher that is not the control; none otherwise."""
        if name.startswith(f"{FILES}/") or name.startswith(f"{REFERENCE}/"):
            return {}
        teacher, seed = name.split("/")
        seed = seed.removeprefix("seed")
        control = self.design.control_teacher
        if teacher == control or control == BASE:
            return {}
        return {label: (run_numbers(source, seed, "raw.parquet"), run_numbers(source, seed, "filtered.parquet"))
                for label, source in ((OWN, teacher), (CONTROL, control))}

    def canary_files(self) -> list[str]:
        return [canaries(name) for name in self.references() + self.audited()]

    def target_files(self) -> list[str]:
        if not self.section:
            return []
        return [output("calls.csv"), output("row_scores.csv"), output("verdict.md"), output("verdict.html"), figure()]
