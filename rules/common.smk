# The design (arms, teachers, bases, result paths: subliminal_learning/design.py), input functions and
# per-stage settings shared by the rule files.
from subliminal_learning import design
from subliminal_learning.design import Design
from subliminal_learning.channels import channel_config, describe, run_channel
from subliminal_learning.config import misalignment_config
from subliminal_learning.misalignment import design as mis
from subliminal_learning.misalignment.design import MisalignmentDesign
from subliminal_learning.defenses import design as defenses
from subliminal_learning.defenses.design import DefensesDesign
from subliminal_learning.audit import design as audit
from subliminal_learning.audit.design import AuditDesign

DESIGN = Design(config)
MISALIGNMENT = MisalignmentDesign(config)  # the misalignment experiment (rules/misalignment.smk)
MISALIGNMENT_CONFIG = misalignment_config(config)  # the run's config with the misalignment section's overrides
DEFENSES = DefensesDesign(config)  # the defenses (rules/defenses.smk)
AUDIT = AuditDesign(config)  # the blind data audit (rules/audit.smk)
FIRST_SEED = config["seeds"][0]  # the replicate whose numbers the teacher's replay and the fingerprint use
# the stats job's output files by name: the run's (rules/stats.smk) and each channel's (rules/channels.smk)
STATS_FILES = {
    "summary": "summary.csv",
    "tests": "tests.csv",
    "verdict": "verdict.md",
    "verdict_html": "verdict.html",
    "per_student": "per_student.csv",
    "target_animal": "target_animal.csv",
    "specificity": "specificity.csv",
    "population": "population.csv",
    "answers": "answers.parquet",
    "probabilities": "target_probabilities.parquet",
    "animals": "animal_logodds.parquet",
}
FINGERPRINT_OUTPUTS = ("fingerprint.json", "number_frequency.png")  # what rule all asks of each target


wildcard_constraints:
    **design.WILDCARD_CONSTRAINTS,


def res(stage, key):
    return config["resources"][stage][key]


def model_dirs(models):
    return [design.model_dir(model) for model in models]


def eval_tables(models, table):
    return [design.eval_table(model, table) for model in models]


def teacher_inputs(wildcards):
    """The shared base, and the base's raw numbers when the teacher replays them."""
    inputs = {"base": design.number_source(design.BASE)}
    if config["teacher"]["replay_examples"]:
        inputs["replay"] = design.numbers(design.BASE, FIRST_SEED, "raw.parquet")
    return inputs


def students_inputs(base):
    """The input function of one base's students job: the base, and per student (in `replicate_arms`
    order) its replicate's numbers; distilled students also read the model that wrote them."""

    def inputs(wildcards):
        arms = DESIGN.replicate_arms(base)
        found = {
            "base": DESIGN.student_base_dir(base, wildcards.seed),
            "numbers": [design.numbers(teacher, wildcards.seed, "filtered.parquet") for _, teacher in arms],
        }
        if config["student"]["objective"] == "distill":
            found["teachers"] = [design.number_source(teacher, wildcards.seed) for _, teacher in arms]
        return found

    return inputs


def base_recipe():
    """The base stage's settings, less those that pick one base: a change of the cross_init seeds or model
    leaves the shared base as it is."""
    picks = ("init_seed", "cross_init_seeds", "cross_init_model") + (
        ("model",) if config["base"]["kind"] == "hf" else ()
    )
    return {key: value for key, value in config["base"].items() if key not in picks}


def base_init(wildcards):
    """What makes one base: tiny, its init seed; hf, the model (base.model, or base.cross_init_model for
    the other init)."""
    base = config["base"]
    if wildcards.base == design.MAIN:
        return base["init_seed"] if base["kind"] == "tiny" else base["model"]
    k = design.cross_init_index(wildcards.base) - 1
    return base["cross_init_seeds"][k] if base["kind"] == "tiny" else base["cross_init_model"]


def checkpoint_dirs(wildcards, output):
    return [design.checkpoint_dir(model) for model in output.models]


def generate_env(wildcards):
    """vLLM pins its own torch and transformers, so with generate.backend: vllm (and --use-conda) the
    generate jobs run in its environment."""
    return "../envs/vllm.yaml" if config["generate"].get("backend") == "vllm" else "../envs/train.yaml"


# The channels (rules/channels.smk)
def channel_section(section, key=None):
    """A params function: one section (or one key of it) of the channel's config, the run's with its overrides."""

    def value(wildcards):
        found = channel_config(config, getattr(wildcards, "channel", None) or wildcards.source)[section]
        return found.get(key) if key else found

    return value


def channel_students_inputs(base):
    """The students job of one channel, base and replicate: as the run's (students_inputs), on the channel's
    numbers."""

    def inputs(wildcards):
        arms = DESIGN.replicate_arms(base)
        found = {
            "base": DESIGN.student_base_dir(base, wildcards.seed),
            "numbers": [DESIGN.channel_rows(wildcards.channel, teacher, wildcards.seed) for _, teacher in arms],
        }
        if channel_section("student", "objective")(wildcards) == "distill":
            found["teachers"] = [design.number_source(teacher, wildcards.seed) for _, teacher in arms]
        return found

    return inputs


def channel_stats_inputs(wildcards):
    students = DESIGN.channel_student_models(wildcards.channel)
    return {
        "students": eval_tables(students, "probabilities"),
        "student_answers": eval_tables(students, "answers"),
        "references": eval_tables(DESIGN.reference_models(), "probabilities"),
        "reference_answers": eval_tables(DESIGN.reference_models(), "answers"),
        "filter_reports": [
            DESIGN.channel_numbers(wildcards.channel, teacher, seed, "filter_report.json")
            for teacher in DESIGN.number_sources()
            for seed in config["seeds"]
        ],
    }


# The misalignment experiment (rules/misalignment.smk)
def misalignment_students_inputs(base):
    def inputs(wildcards):
        arms = MISALIGNMENT.replicate_arms(base)
        teachers = [mis.ARMS[arm][1] for arm in arms]
        found = {
            "base": MISALIGNMENT.student_base_dir(base, wildcards.seed),
            "numbers": [mis.numbers(teacher, wildcards.seed, "filtered.parquet") for teacher in teachers],
        }
        if config["student"]["objective"] == "distill":
            found["teachers"] = [mis.teacher_dir(teacher, wildcards.seed) for teacher in teachers]
        return found

    return inputs


# The defenses (rules/defenses.smk)
def defense_rows_inputs(wildcards):
    """A rows defense's job of one replicate: every teacher's kept rows; for dilution the control teacher's too; for
    divergence the teachers and the base, whose choices it compares; for the detector the teachers (distilled
    canaries read them), the students' base and every teacher's raw numbers (its spare kept rows)."""
    kind, teachers = DEFENSES.spec(wildcards.defense)["kind"], DEFENSES.teachers()
    found = {"rows": [design.numbers(teacher, wildcards.seed, "filtered.parquet") for teacher in teachers]}
    if kind == "dilution":
        found["other"] = design.numbers(DESIGN.control_teacher, wildcards.seed, "filtered.parquet")
    if kind == "divergence":
        found["teachers"] = [design.number_source(teacher, wildcards.seed) for teacher in teachers]
        found["base"] = design.number_source(design.BASE)
    if kind == "detector":
        if config["student"]["objective"] == "distill":
            found["teachers"] = [design.number_source(teacher, wildcards.seed) for teacher in teachers]
        found["base"] = DESIGN.student_base_dir(design.MAIN, wildcards.seed)
        found["raw"] = [design.numbers(teacher, wildcards.seed, "raw.parquet") for teacher in teachers]
    return found


def defense_students_inputs(wildcards):
    """A defense's students job of one replicate: the shared base, each student's defended rows, its teacher
    (distilled) and the alternate model some of its targets come from (dilution, divergence)."""
    arms = DEFENSES.arms()
    found = {
        "base": DESIGN.student_base_dir(design.MAIN, wildcards.seed),
        "numbers": [DEFENSES.rows(wildcards.defense, teacher, wildcards.seed) for _, teacher in arms],
    }
    if config["student"]["objective"] == "distill":
        found["teachers"] = [design.number_source(teacher, wildcards.seed) for _, teacher in arms]
        alternate = DEFENSES.alternate(wildcards.defense, wildcards.seed)
        if alternate:
            found["alternates"] = [alternate] * len(arms)
    return found


# The audit (rules/audit.smk)
def audit_canaries_inputs(wildcards):
    """A data set's rows and the base; for a run teacher's, the raw and kept numbers its canary's per-row score is
    checked on (its own teacher's and the control teacher's)."""
    found = {"rows": AUDIT.rows(wildcards.name), "base": design.number_source(design.BASE)}
    for label, (raw, kept) in AUDIT.scored_sources(wildcards.name).items():
        found[f"{label}_raw"], found[f"{label}_kept"] = raw, kept
    return found
