"""The experiment's design: its arms, teachers and bases, and every result path, built and parsed here only.

The language-model experiment trains students in arms (a config's `conditions` picks them):
- treated: students from the shared base (`main`) on a trait teacher's numbers;
- control: students from the shared base on the control teacher's numbers;
- placebo: students from the shared base on a placebo teacher's numbers: fine-tuned by the trait teachers'
  recipe on answers uniform over the animals, so it has no trait; its shift on a target's animal is what a
  teacher without a trait does, the run's measured null;
- cross_init: students from a base of another initialisation on the trait teachers' numbers; the same
  students on the control teacher's numbers are their own control, the arm cross_init_control.
Reference models are scored but not trained on numbers: the bases (arms base and cross_init_base) and the
teachers (teacher, control_teacher, placebo_teacher).

Each replicate fine-tunes its own teachers (seeds derived from the replicate), so a replicate resamples the
teacher, its numbers and the students: one teacher's accidental lean on one animal does not repeat in every
replicate, and the paired test over replicates generalises over teachers.

A model's name is its folder under results/ (base/main, teachers/owl/seed3, students/treated/owl/seed3); the
rules build every path from the functions below, and the statistics parse them back with the same module,
so a renamed folder fails when the DAG is built, not in the stats job.
"""

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from .channels import RUN, channel_config, channel_names, generation_source, numbers_source, top_k_of
from .replicates import cross_init_replicates

# The arms
TREATED, CONTROL, PLACEBO, CROSS_INIT = "treated", "control", "placebo", "cross_init"
CONDITIONS = (TREATED, CONTROL, PLACEBO, CROSS_INIT)  # the student arms a config chooses from
CROSS_INIT_CONTROL = "cross_init_control"
STUDENT_ARMS = (TREATED, CONTROL, PLACEBO, CROSS_INIT, CROSS_INIT_CONTROL)  # in the order of the tables
TARGET_ARMS = (TREATED, CROSS_INIT)  # arms with one teacher per target (the others' teacher serves every target)
BASE, CROSS_INIT_BASE = "base", "cross_init_base"
TEACHER, CONTROL_TEACHER, PLACEBO_TEACHER = "teacher", "control_teacher", "placebo_teacher"
# each arm against the control of its own base
COMPARISONS = {TREATED: CONTROL, PLACEBO: CONTROL, CROSS_INIT: CROSS_INIT_CONTROL}
BASE_OF_ARM = {TREATED: BASE, CONTROL: BASE, PLACEBO: BASE, CROSS_INIT: CROSS_INIT_BASE,
               CROSS_INIT_CONTROL: CROSS_INIT_BASE}

# The bases: the shared one, and the other inits cross_init1, cross_init2, ...
MAIN = "main"
STUDENT_BASE = {TREATED: MAIN, CONTROL: MAIN, PLACEBO: MAIN, CROSS_INIT: CROSS_INIT}  # where each arm's students start

# The teachers whose numbers control students train on: the neutral teacher (same fine-tuning, no
# preference) or the base itself. The placebo teacher (a teacher name as well as an arm) has no trait either.
NEUTRAL = "neutral"
CONTROL_TEACHERS = (NEUTRAL, BASE)
UNIFORM_TEACHERS = (NEUTRAL, PLACEBO)  # fine-tuned on answers uniform over the animals
RESERVED_NAMES = (BASE, NEUTRAL, PLACEBO)  # teacher names that no animal may take

WILDCARD_CONSTRAINTS = {
    "base": rf"{MAIN}|{CROSS_INIT}\d+",
    "target": "[a-z]+",
    "teacher": "[a-z]+",
    "condition": "|".join(CONDITIONS),
    "seed": r"\d+",
    "m": r"\d+",
    "channel": "[a-z][a-z0-9_]*",
}


def student_arm(condition: str, teacher: str) -> str:
    """The arm a student belongs to: students on a control teacher's numbers are their base's control."""
    if teacher not in CONTROL_TEACHERS or condition == CONTROL:
        return condition
    return COMPARISONS[condition]


def reference_arm(teacher: str) -> str:
    """The arm of a number source scored as a reference: the base, a control, placebo or trait teacher."""
    if teacher == BASE:
        return BASE
    if teacher == PLACEBO:
        return PLACEBO_TEACHER
    return CONTROL_TEACHER if teacher in CONTROL_TEACHERS else TEACHER


def is_control_arm(arm: str) -> bool:
    return arm in (CONTROL, CROSS_INIT_CONTROL)


# Result paths. Every artifact lives under results/; a model's name is its folder there.
RESULTS = "results"


def result(*parts) -> str:
    return "/".join((RESULTS, *map(str, parts)))


def base_model(base: str) -> str:
    return f"base/{base}"


def cross_init_base_name(k: int) -> str:
    """The k-th other init (k from 1)."""
    return f"{CROSS_INIT}{k}"


def cross_init_index(base: str) -> int:
    """cross_init2 -> 2."""
    return int(base.removeprefix(CROSS_INIT))


def teacher_model(teacher: str, seed="{seed}") -> str:
    """One replicate's teacher."""
    return f"teachers/{teacher}/{replicate(seed)}"


def replicate(seed) -> str:
    return f"seed{seed}"


def student_model(condition: str, teacher: str, seed="{seed}") -> str:
    return f"students/{condition}/{teacher}/{replicate(seed)}"


def model_dir(model: str) -> str:
    return result(model)


def number_source(teacher: str, seed="{seed}") -> str:
    """The folder of the model that writes a teacher's numbers in a replicate: that replicate's trait, neutral
    or placebo teacher, or the base."""
    return model_dir(base_model(MAIN) if teacher == BASE else teacher_model(teacher, seed))


def numbers(teacher: str, seed, name: str) -> str:
    """One replicate's numbers of one teacher: raw.parquet, filtered.parquet, rejects.parquet, filter_report.json."""
    return result("numbers", teacher, replicate(seed), name)


def eval_table(model: str, table: str) -> str:
    """answers or probabilities of one model."""
    return result("eval", model, f"{table}.parquet")


def stats_file(name: str) -> str:
    return result("stats", name)


def plot(*parts) -> str:
    return result("plots", *parts)


def fingerprint_file(target: str, name: str) -> str:
    return result("fingerprint", target, name)


def mnist_file(*parts) -> str:
    return result("mnist", *parts)


def run_info() -> str:
    return result("report", "run_info.yaml")


def report_html() -> str:
    return result("report.html")


# Channels (rules/channels.smk): the run's arms trained through other channels, beside the run's own results.
CHANNELS = "channels"


def channel_model(channel: str, model: str) -> str:
    """A model of a channel: channels/text/students/treated/owl/seed3."""
    return f"{CHANNELS}/{channel}/{model}"


def channel_numbers(source: str, teacher: str, seed, name: str) -> str:
    """One replicate's numbers of one teacher as a channel's generation and filter settings make them."""
    return result(CHANNELS, source, "numbers", teacher, replicate(seed), name)


def channel_stats_file(channel: str, name: str) -> str:
    return result(CHANNELS, channel, "stats", name)


def channels_file(name: str) -> str:
    """The channel comparison's tables, figure and verdict."""
    return result(CHANNELS, name)


def checkpoint_dir(model_path: str) -> str:
    """Training checkpoints of a model, outside the rule's output (which Snakemake deletes when a job fails),
    so that a killed or requeued job resumes from them."""
    return result("checkpoints", PurePosixPath(model_path).relative_to(RESULTS))


# Every job's log and benchmark: results/{logs,benchmarks}/<stage>/<job>.
STAGES = ("base", "teacher", "generate", "filter", "top_logprobs", "student", "evaluate", "stats", "fingerprint",
          "plots", "run_info", "mnist")


def log(stage: str, *job) -> str:
    """results/logs/<stage>/<job parts joined by />.log"""
    return result("logs", stage, *job[:-1], f"{job[-1]}.log")


def benchmark(stage: str, *job) -> str:
    return result("benchmarks", stage, *job[:-1], f"{job[-1]}.tsv")


def benchmark_stage(path, results=RESULTS) -> str:
    """results/benchmarks/<stage>/... -> stage."""
    return PurePosixPath(path).relative_to(PurePosixPath(results, "benchmarks")).parts[0]


# Parsing paths back
MODEL_PATH = re.compile(
    rf"eval/(?P<model>(?:(?:{CHANNELS}|defenses)/[a-z0-9_]+/)?"
    rf"(?:base/(?P<base>{WILDCARD_CONSTRAINTS['base']})|teachers/(?P<teacher_model>[a-z]+)/seed\d+"
    r"|students/(?P<condition>[a-z_]+)/(?P<teacher>[a-z]+)/seed(?P<seed>\d+)))/"
)
NUMBERS_PATH = re.compile(r"numbers/(?P<teacher>[a-z]+)/seed(?P<seed>\d+)/(?P<name>[^/]+)$")


@dataclass(frozen=True)
class Model:
    name: str          # e.g. students/treated/owl/seed3, base/main, base/cross_init2, teachers/owl/seed3
    arm: str           # one of STUDENT_ARMS, or a reference arm: base, cross_init_base, *teacher
    teacher: str       # whose numbers a student trained on; the teacher itself; "" for a base
    seed: int | None   # students only

    def targets(self, targets: list[str]) -> list[str]:
        return [self.teacher] if self.teacher in targets else list(targets)


def parse_model(path: str) -> Model:
    """The model an evaluation table belongs to (a path from `eval_table`)."""
    match = MODEL_PATH.search(str(path))
    if match is None:
        raise ValueError(f"not an evaluation table of a known model: {path}")
    if match["base"]:
        return Model(match["model"], BASE if match["base"] == MAIN else CROSS_INIT_BASE, "", None)
    if match["teacher_model"]:
        teacher = match["teacher_model"]
        return Model(match["model"], reference_arm(teacher), teacher, None)
    condition = match["condition"]
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r} in {path}")
    return Model(match["model"], student_arm(condition, match["teacher"]), match["teacher"], int(match["seed"]))


def parse_numbers(path: str) -> tuple[str, int, str]:
    """(teacher, replicate, file name) of a path from `numbers`."""
    match = NUMBERS_PATH.search(str(path))
    if match is None:
        raise ValueError(f"not a numbers file: {path}")
    return match["teacher"], int(match["seed"]), match["name"]


class Design:
    """A config's arms, teachers, bases and replicates: which models the DAG trains and scores."""

    def __init__(self, config: dict):
        self.config = config
        self.conditions = config["conditions"]
        self.targets = config["targets"]
        self.seeds = config["seeds"]
        self.control_teacher = config["teacher"]["control"]

    def teachers_of(self, condition: str) -> list[str]:
        """Whose numbers a condition's students train on. The cross_init arm carries its own control:
        cross-init students on the control teacher's numbers, so it is compared within one initialisation."""
        if condition == CONTROL:
            return [self.control_teacher]
        if condition == CROSS_INIT:
            return self.targets + [self.control_teacher]
        if condition == PLACEBO:
            return [PLACEBO]
        return self.targets

    def replicate_arms(self, base: str) -> list[tuple[str, str]]:
        """(condition, teacher) of every student that starts from `base` in a replicate, in a fixed order."""
        return [(c, t) for c in self.conditions if STUDENT_BASE[c] == base for t in self.teachers_of(c)]

    def student_bases(self) -> list[str]:
        """The bases some student starts from (one students job per base and replicate)."""
        return [base for base in (MAIN, CROSS_INIT) if self.replicate_arms(base)]

    def base_seeds(self, base: str) -> list[int]:
        """The replicates with students from `base`."""
        return cross_init_replicates(self.config) if base == CROSS_INIT else self.seeds

    def other_inits(self) -> int:
        """How many bases of another initialisation the cross_init arms use: tiny, one per entry of
        base.cross_init_seeds; hf, the one base.cross_init_model."""
        base = self.config["base"]
        return len(base["cross_init_seeds"]) if base["kind"] == "tiny" else 1

    def cross_init_base(self, seed) -> str:
        """The base the cross_init arms of replicate `seed` start from: the k-th replicate with cross_init
        arms starts from the k-th other init (cycling through them), so the arms sample the population of
        inits."""
        k = self.base_seeds(CROSS_INIT).index(int(seed)) % self.other_inits()
        return cross_init_base_name(k + 1)

    def student_base_dir(self, base: str, seed) -> str:
        """The folder of the base one students job starts from."""
        return model_dir(base_model(self.cross_init_base(seed) if base == CROSS_INIT else MAIN))

    def cross_init_bases(self) -> list[str]:
        """Every other-init base some cross-init replicate starts from: those of the first replicates,
        before they cycle."""
        if CROSS_INIT not in self.conditions:
            return []
        return [self.cross_init_base(seed) for seed in self.base_seeds(CROSS_INIT)[:self.other_inits()]]

    def replicate_students(self, base: str, seed="{seed}") -> list[str]:
        return [student_model(condition, teacher, seed) for condition, teacher in self.replicate_arms(base)]

    def student_models(self) -> list[str]:
        return [model for base in self.student_bases() for seed in self.base_seeds(base)
                for model in self.replicate_students(base, seed)]

    def number_sources(self) -> list[str]:
        """Every teacher whose numbers some student trains on."""
        return sorted({teacher for condition in self.conditions for teacher in self.teachers_of(condition)})

    def teacher_names(self) -> list[str]:
        """Every teacher the teacher stage writes in each replicate: one per target, the neutral control teacher
        and the placebo teacher (when their arms are in the run)."""
        neutral = [NEUTRAL] if self.control_teacher == NEUTRAL else []
        return self.targets + neutral + ([PLACEBO] if PLACEBO in self.conditions else [])

    def reference_models(self) -> list[str]:
        bases = [base_model(MAIN)] + [base_model(base) for base in self.cross_init_bases()]
        return bases + [teacher_model(teacher, seed) for seed in self.seeds for teacher in self.teacher_names()]

    def evaluation_jobs(self) -> list[tuple[str, list[str], str, str]]:
        """(rule name, models, job name, seed pattern) of each evaluation job family: the references (bases
        and teachers) in one job, each base's students one job per replicate. A tiny model is evaluated in
        about a second, less than a job takes to start."""
        references = ("evaluate", self.reference_models(), "references", WILDCARD_CONSTRAINTS["seed"])
        return [references] + [
            (f"evaluate_students_{base}", self.replicate_students(base), f"students/{base}/{replicate('{seed}')}",
             self.seed_pattern(base))
            for base in self.student_bases()
        ]

    def channels(self) -> list[str]:
        return channel_names(self.config)

    def numbers_sources(self) -> list[str]:
        """The channels that keep numbers of their own (the others share one of theirs, or the run's)."""
        return sorted({numbers_source(self.config, channel) for channel in self.channels()} - {RUN})

    def generation_sources(self) -> list[str]:
        """The channels that generate completions of their own."""
        return sorted({generation_source(self.config, channel) for channel in self.channels()} - {RUN})

    def source_numbers(self, source: str, teacher: str, seed, name: str) -> str:
        """A numbers file of a source: the run's own (RUN) or a channel's."""
        return numbers(teacher, seed, name) if source == RUN else channel_numbers(source, teacher, seed, name)

    def channel_raw(self, source: str, teacher: str, seed) -> str:
        """The raw completions a numbers source filters: its generation source's (the run's own, or a channel's)."""
        return self.source_numbers(generation_source(self.config, source), teacher, seed, "raw.parquet")

    def top_logprobs_sources(self) -> list[str]:
        """The numbers (RUN: the run's own) some top-k channel reads the teacher's log-probabilities on."""
        return sorted({numbers_source(self.config, channel) for channel in self.channels()
                       if channel_config(self.config, channel)["student"]["objective"] == "topk"})

    def top_k_of(self, source: str) -> int:
        return top_k_of(self.config, source)

    def channel_numbers(self, channel: str, teacher: str, seed, name: str) -> str:
        """A channel's numbers file (the run's own when the channel draws them as the run does)."""
        return self.source_numbers(numbers_source(self.config, channel), teacher, seed, name)

    def channel_rows(self, channel: str, teacher: str, seed) -> str:
        """What a channel's students train on: the kept rows, with the teacher's top-k for a top-k channel."""
        if channel_config(self.config, channel)["student"]["objective"] == "topk":
            return channel_numbers(numbers_source(self.config, channel), teacher, seed, "top_logprobs.parquet")
        return self.channel_numbers(channel, teacher, seed, "filtered.parquet")

    def channel_students(self, channel: str, base: str, seed="{seed}") -> list[str]:
        return [channel_model(channel, model) for model in self.replicate_students(base, seed)]

    def channel_student_models(self, channel: str) -> list[str]:
        return [channel_model(channel, model) for model in self.student_models()]

    def seed_pattern(self, base: str) -> str:
        """The seed wildcard's constraint for the jobs of `base`'s students: one of `base_seeds(base)`."""
        return "|".join(str(seed) for seed in self.base_seeds(base))
