# Paths, input functions and per-stage settings shared by the rule files.
# The control condition's numbers: from the neutral teacher (same fine-tuning, no preference) or the base.
CONTROL_TEACHER = config["teacher"]["control"]
FIRST_SEED = config["seeds"][0]  # the replicate whose numbers the teacher's replay and the fingerprint use
BASE_SEEDS = {"main": config["base"].get("init_seed"), "cross_init": config["base"].get("cross_init_seed")}


wildcard_constraints:
    base="main|cross_init",
    target="[a-z]+",
    teacher="[a-z]+",
    condition="treated|control|cross_init",
    seed=r"\d+",
    model=r"base/(main|cross_init)|teachers/[a-z]+|students/(treated|control|cross_init)/[a-z]+/seed\d+",


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


def student_models():
    return [
        f"students/{condition}/{teacher}/seed{seed}"
        for condition in config["conditions"]
        for teacher in teachers_of(condition)
        for seed in config["seeds"]
    ]


def number_sources():
    """Every teacher whose numbers some student trains on."""
    return sorted({teacher for condition in config["conditions"] for teacher in teachers_of(condition)})


def reference_models():
    bases = ["base/main"] + (["base/cross_init"] if "cross_init" in config["conditions"] else [])
    teachers = config["targets"] + ([CONTROL_TEACHER] if CONTROL_TEACHER == "neutral" else [])
    return bases + [f"teachers/{teacher}" for teacher in teachers]


def eval_tables(models, table):
    return [f"results/eval/{model}/{table}.parquet" for model in models]


def teacher_inputs(wildcards):
    """The shared base, and the base's raw numbers when the teacher replays them."""
    inputs = {"base": "results/base/main"}
    if config["teacher"]["replay_examples"]:
        inputs["replay"] = f"results/numbers/base/seed{FIRST_SEED}/raw.parquet"
    return inputs


def numbers_source(wildcards):
    """The model that writes a teacher's numbers: a trait or neutral teacher, or the base."""
    if wildcards.teacher == "base":
        return "results/base/main"
    return f"results/teachers/{wildcards.teacher}"


def student_inputs(wildcards):
    """Students start from the shared base (cross_init students from the other initialisation) and train on
    their replicate's numbers; distilled students also read the model that wrote the numbers."""
    inputs = {
        "base": "results/base/cross_init" if wildcards.condition == "cross_init" else "results/base/main",
        "numbers": f"results/numbers/{wildcards.teacher}/seed{wildcards.seed}/filtered.parquet",
    }
    if config["student"]["objective"] == "distill":
        inputs["teacher"] = numbers_source(wildcards)
    return inputs


def base_init_seed(wildcards):
    return BASE_SEEDS[wildcards.base]


def checkpoint_dir(wildcards, output):
    """Training checkpoints of a model, outside the rule's output (which Snakemake deletes when a job
    fails), so that a killed or requeued job resumes from them."""
    return output.model.replace("results/", "results/checkpoints/", 1)


def generate_env(wildcards):
    """vLLM pins its own torch and transformers, so with generate.backend: vllm (and --use-conda) the
    generate jobs run in its environment."""
    return "../envs/vllm.yaml" if config["generate"].get("backend") == "vllm" else "../envs/train.yaml"
