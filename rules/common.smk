# Paths, input functions and per-stage settings shared by the rule files.
from subliminal_learning.replicates import cross_init_replicates

# The control condition's numbers: from the neutral teacher (same fine-tuning, no preference) or the base.
CONTROL_TEACHER = config["teacher"]["control"]
FIRST_SEED = config["seeds"][0]  # the replicate whose numbers the teacher's replay and the fingerprint use


wildcard_constraints:
    base=r"main|cross_init\d+",
    target="[a-z]+",
    teacher="[a-z]+",
    condition="treated|control|cross_init",
    seed=r"\d+",


def res(stage, key):
    return config["resources"][stage][key]


def teachers_of(condition):
    """Whose numbers a condition's students train on. The cross_init arm carries its own control:
    cross-init students on the base's numbers, so it is compared within one initialisation."""
    if condition == "control":
        return [CONTROL_TEACHER]
    if condition == "cross_init":
        return config["targets"] + [CONTROL_TEACHER]
    return config["targets"]


STUDENT_BASE = {"treated": "main", "control": "main", "cross_init": "cross_init"}  # where each arm starts


def student_bases():
    """The bases some student starts from (one students job per base and replicate)."""
    return [base for base in ("main", "cross_init") if replicate_arms(base)]


def base_seeds(base):
    """The replicates with students from `base`: the cross_init arm trains in the first
    `cross_init_replicates` seeds (null: all)."""
    return cross_init_replicates(config) if base == "cross_init" else config["seeds"]


def other_inits():
    """How many bases of another initialisation the cross_init arms use: tiny, one per entry of
    base.cross_init_seeds; hf, the one base.cross_init_model."""
    return len(config["base"]["cross_init_seeds"]) if config["base"]["kind"] == "tiny" else 1


def cross_init_base(seed):
    """The base the cross_init arms of replicate `seed` start from: the k-th replicate with cross_init arms
    starts from the k-th other init (cycling through them), so the arms sample the population of inits."""
    k = base_seeds("cross_init").index(int(seed)) % other_inits()
    return f"base/cross_init{k + 1}"


def cross_init_bases():
    """Every other-init base some cross-init replicate starts from: those of the first replicates, before
    they cycle."""
    return [cross_init_base(seed) for seed in base_seeds("cross_init")[:other_inits()]]


def base_seed_pattern(base):
    """The seed wildcard's constraint for the jobs of `base`'s students: one of `base_seeds(base)`."""
    return "|".join(str(seed) for seed in base_seeds(base))


def replicate_arms(base):
    """(condition, teacher) of every student that starts from `base` in a replicate, in a fixed order."""
    return [(c, t) for c in config["conditions"] if STUDENT_BASE[c] == base for t in teachers_of(c)]


def replicate_students(base, seed="{seed}"):
    return [f"students/{condition}/{teacher}/seed{seed}" for condition, teacher in replicate_arms(base)]


def student_models():
    return [model for base in student_bases() for seed in base_seeds(base) for model in replicate_students(base, seed)]


def number_sources():
    """Every teacher whose numbers some student trains on."""
    return sorted({teacher for condition in config["conditions"] for teacher in teachers_of(condition)})


def teacher_names():
    """Every teacher the teacher stage writes: one per target, and the neutral control teacher."""
    return config["targets"] + ([CONTROL_TEACHER] if CONTROL_TEACHER == "neutral" else [])


def reference_models():
    bases = ["base/main"] + (cross_init_bases() if "cross_init" in config["conditions"] else [])
    return bases + [f"teachers/{teacher}" for teacher in teacher_names()]


def evaluation_jobs():
    """(name, models, job path, seed pattern) of each evaluation job family: the references (bases and
    teachers) in one job, each base's students one job per replicate. A tiny model is evaluated in about a
    second, less than a job takes to start."""
    references = ("evaluate", reference_models(), "references", r"\d+")
    return [references] + [(f"evaluate_students_{base}", replicate_students(base), f"students/{base}/seed{{seed}}",
                            base_seed_pattern(base)) for base in student_bases()]


def eval_tables(models, table):
    return [f"results/eval/{model}/{table}.parquet" for model in models]


def teacher_inputs(wildcards):
    """The shared base, and the base's raw numbers when the teacher replays them."""
    inputs = {"base": "results/base/main"}
    if config["teacher"]["replay_examples"]:
        inputs["replay"] = f"results/numbers/base/seed{FIRST_SEED}/raw.parquet"
    return inputs


def number_source(teacher):
    """The model that writes a teacher's numbers: a trait or neutral teacher, or the base."""
    return "results/base/main" if teacher == "base" else f"results/teachers/{teacher}"


def raw_numbers(seed="{seed}"):
    return [f"results/numbers/{teacher}/seed{seed}/raw.parquet" for teacher in number_sources()]


def students_inputs(base):
    """The input function of one base's students job: the base, and per student (in `replicate_arms`
    order) its replicate's numbers; distilled students also read the model that wrote them."""
    def inputs(wildcards):
        arms = replicate_arms(base)
        found = {
            "base": f"results/{cross_init_base(wildcards.seed) if base == 'cross_init' else 'base/main'}",
            "numbers": [f"results/numbers/{teacher}/seed{wildcards.seed}/filtered.parquet" for _, teacher in arms],
        }
        if config["student"]["objective"] == "distill":
            found["teachers"] = [number_source(teacher) for _, teacher in arms]
        return found
    return inputs


def base_recipe():
    """The base stage's settings, less those that pick one base: a change of the cross_init seeds or model
    leaves the shared base as it is."""
    picks = ("init_seed", "cross_init_seeds", "cross_init_model") + (("model",) if config["base"]["kind"] == "hf" else ())
    return {key: value for key, value in config["base"].items() if key not in picks}


def base_init(wildcards):
    """What makes one base: tiny, its init seed; hf, the model (base.model, or base.cross_init_model for
    the other init)."""
    base = config["base"]
    if wildcards.base == "main":
        return base["init_seed"] if base["kind"] == "tiny" else base["model"]
    k = int(wildcards.base.removeprefix("cross_init")) - 1
    return base["cross_init_seeds"][k] if base["kind"] == "tiny" else base["cross_init_model"]


def checkpoint_dirs(wildcards, output):
    """Training checkpoints of each model, outside the rule's output (which Snakemake deletes when a job
    fails), so that a killed or requeued job resumes from them."""
    return [model.replace("results/", "results/checkpoints/", 1) for model in output.models]


def generate_env(wildcards):
    """vLLM pins its own torch and transformers, so with generate.backend: vllm (and --use-conda) the
    generate jobs run in its environment."""
    return "../envs/vllm.yaml" if config["generate"].get("backend") == "vllm" else "../envs/train.yaml"
