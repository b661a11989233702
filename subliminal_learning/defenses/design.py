"""The defenses' kinds, where each acts in the DAG, the students they train and every result path (all under
results/defenses/).

A defense is a named entry of the config's `defenses.transformations`: a kind and its settings. It acts at one point:
- generation: the teachers write their numbers again with truncated sampling (threshold, top-p or greedy), and the
  run's filter keeps them as it keeps the run's;
- rows: the run's kept rows are transformed (reformatted, shuffled, divergence tokens replaced, diluted, or the rows
  a detector flags replaced);
- targets: the run's own rows, with the teacher's outputs (the distillation targets) transformed as students read them.
Each defense trains the run's treated, control and placebo students again (the shared base, the run's seeds, student
recipe and evaluation); everything upstream of its point is the run's own artifact, reused.
"""

from ..design import CONTROL, MAIN, PLACEBO, TREATED, Design, number_source, replicate, result, student_model
from ..design import numbers as run_numbers
from ..design import plot as result_plot

ROOT = "defenses"
GENERATION, ROWS, TARGETS = "generation", "rows", "targets"
# kind -> (its point in the DAG, its settings with their defaults)
KINDS = {
    "threshold": (GENERATION, {"p": 0.05}),      # drop every token under probability p at each step
    "top_p": (GENERATION, {"p": 0.8}),           # nucleus sampling
    "greedy": (GENERATION, {}),                  # the most probable token at each step
    "reformat": (ROWS, {}),                      # every completion in one canonical format, "n, n, n"
    "shuffle": (ROWS, {}),                       # the numbers of each completion in a random order
    "divergence": (ROWS, {}),                    # tokens where the teacher's top choice differs from the base's
    "dilution": (ROWS, {"share": 0.5}),          # this share of rows swapped for the control teacher's
    "detector": (ROWS, {"share": 0.2}),          # this share of rows, those a canary scores highest, replaced
    "top_k": (TARGETS, {"k": 5}),                # the targets below the teacher's k-th largest raised to it
    "temperature": (TARGETS, {"t": 2.0}),        # the targets divided by t
    "noise": (TARGETS, {"sd": 1.0}),             # Gaussian noise of this sd added to every target
    "rounding": (TARGETS, {"step": 0.5}),        # the targets' log-probabilities rounded to this step (nats)
}
ARMS = (TREATED, CONTROL, PLACEBO)  # the students a defense trains again, from the shared base
# the student objectives each point acts through: targets need the teacher's outputs (distill)
OBJECTIVES = {GENERATION: ("distill", "sft"), ROWS: ("distill", "sft"), TARGETS: ("distill",)}


def listed(config: dict) -> dict:
    """name -> its settings with the kind's defaults filled in; entries set to null are left out."""
    found = (config.get("defenses") or {}).get("transformations") or {}
    return {name: {**KINDS[spec["kind"]][1], **spec} for name, spec in found.items() if spec is not None}


def not_applicable(config: dict, spec: dict) -> str | None:
    """Why a listed defense cannot act on this run's students, or None. Such a defense is skipped and the verdict
    says why, so a config's defenses section never stops the run it does not apply to."""
    if not {TREATED, CONTROL} <= set(config["conditions"]):
        return "a defense compares treated and control students, and this run's conditions lack one"
    objective = config["student"]["objective"]
    if objective not in OBJECTIVES[point_of(spec)]:
        return f"it transforms the teacher's outputs, which {objective} students never read"
    if spec["kind"] == "divergence" and config["teacher"]["mode"] != "sft":
        return "it compares the teacher's choices with the base's in one context; a system-prompt teacher reads another"
    return None


def transformations(config: dict) -> dict:
    """The listed defenses that apply to this run's students."""
    return {name: spec for name, spec in listed(config).items() if not_applicable(config, spec) is None}


def skipped(config: dict) -> dict:
    """name -> why a listed defense is not measured on this run."""
    reasons = {name: not_applicable(config, spec) for name, spec in listed(config).items()}
    return {name: reason for name, reason in reasons.items() if reason}


def point_of(spec: dict) -> str:
    return KINDS[spec["kind"]][0]


def generate_overrides(spec: dict) -> dict:
    """The generate settings a generation defense writes its numbers with."""
    return {"threshold": {"threshold": spec["p"]}, "top_p": {"top_p": spec["p"]},
            "greedy": {"greedy": True}}[spec["kind"]]


def numbers(defense: str, teacher: str, seed, name: str) -> str:
    """A defense's numbers of one teacher in one replicate: raw, filtered, rejects, filter_report (generation);
    rows.parquet (rows)."""
    return result(ROOT, defense, "numbers", teacher, replicate(seed), name)


def student(defense: str, condition: str, teacher: str, seed="{seed}") -> str:
    """A defended student's model name (its folder under results/): defenses/dilution/students/treated/owl/seed3."""
    return f"{ROOT}/{defense}/{student_model(condition, teacher, seed)}"


def output(name: str) -> str:
    """The defenses' tables and verdict."""
    return result(ROOT, name)


def plot(name: str = "defenses.png") -> str:
    return result_plot(name)


class DefensesDesign:
    """Which defenses a config measures, and for each the rows, teachers and alternate models its students read."""

    def __init__(self, config: dict):
        self.config = config
        self.design = Design(config)
        self.transformations = transformations(config)
        section = config.get("defenses") or {}
        self.seeds = config["seeds"][:section.get("replicates")]  # the first N of the run's (null: all)

    def names(self, point: str | None = None) -> list[str]:
        return [name for name, spec in self.transformations.items() if point in (None, point_of(spec))]

    def spec(self, defense: str) -> dict:
        return self.transformations[defense]

    def arms(self) -> list[tuple[str, str]]:
        """(condition, teacher) of every defended student in a replicate, in the run's order."""
        return [(c, t) for c, t in self.design.replicate_arms(MAIN) if c in ARMS]

    def teachers(self) -> list[str]:
        """Every teacher whose numbers a defended student reads."""
        return sorted({teacher for _, teacher in self.arms()})

    def students(self, defense: str, seed="{seed}") -> list[str]:
        return [student(defense, condition, teacher, seed) for condition, teacher in self.arms()]

    def all_students(self, point: str | None = None) -> list[str]:
        return [model for defense in self.names(point) for seed in self.seeds
                for model in self.students(defense, seed)]

    def target_transform(self, defense: str) -> tuple[dict, int] | None:
        """A students job's transformation of the targets (the defense's settings and seed), or None."""
        spec = self.spec(defense)
        return (spec, self.config["defenses"]["seed"]) if point_of(spec) == TARGETS else None

    def rows(self, defense: str, teacher: str, seed) -> str:
        """What a defended student trains on: its defense's kept numbers, transformed rows or the run's own."""
        point = point_of(self.spec(defense))
        if point == GENERATION:
            return numbers(defense, teacher, seed, "filtered.parquet")
        if point == ROWS:
            return numbers(defense, teacher, seed, "rows.parquet")
        return run_numbers(teacher, seed, "filtered.parquet")

    def alternate(self, defense: str, seed) -> str | None:
        """The model some positions of a defense's rows take their targets from: the control teacher for diluted rows,
        the base at divergence tokens."""
        kind = self.spec(defense)["kind"]
        if kind == "dilution":
            return number_source(self.design.control_teacher, seed)
        if kind == "divergence":
            return number_source("base", seed)
        return None

    def cost_files(self) -> list[str]:
        """What the defenses' costs are measured on: each rows defense's rows and each generation defense's answers
        and filter report, beside the run's kept rows, answers and filter reports."""
        pairs = [(teacher, seed) for teacher in self.teachers() for seed in self.seeds]
        own = {ROWS: ("rows.parquet",), GENERATION: ("raw.parquet", "filter_report.json")}
        run = {ROWS: ("filtered.parquet",), GENERATION: ("raw.parquet", "filter_report.json")}
        points = {point_of(self.spec(d)) for d in self.names()} - {TARGETS}
        return ([numbers(d, t, s, name) for d in self.names() for name in own.get(point_of(self.spec(d)), ())
                 for t, s in pairs]
                + [run_numbers(t, s, name) for point in sorted(points) for name in run[point] for t, s in pairs])

    def target_files(self) -> list[str]:
        if not self.names():
            return []
        return [output("shares.csv"), output("verdict.md"), output("verdict.html"), plot()]
