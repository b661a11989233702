# Channels (snakemake --cores all channels): the run's arms, teachers and tests, with students trained through
# other channels than the default's logits (config key channels; docs/channels.md). Channels with the same generation
# settings share one generation, and with the same filter settings too their kept numbers (the run's own, when they
# generate and filter as it does).


rule generate_channel:
    input:
        models=[design.number_source(teacher) for teacher in DESIGN.number_sources()],
    output:
        raw=[
            design.channel_numbers("{source}", teacher, "{seed}", "raw.parquet") for teacher in DESIGN.number_sources()
        ],
    log:
        design.log("generate", design.CHANNELS, "{source}", design.replicate("{seed}")),
    benchmark:
        design.benchmark("generate", design.CHANNELS, "{source}", design.replicate("{seed}"))
    wildcard_constraints:
        source="|".join(DESIGN.generation_sources()) or "^$",
    conda:
        generate_env
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("generate", "mem_mb"),
        runtime=res("generate", "runtime"),
        gpu=res("generate", "gpu"),
    params:
        generate=channel_section("generate"),
        replicate="{seed}",
        device=config["device"],
    script:
        "../scripts/generate.py"


rule filter_channel:
    input:
        raw=lambda wildcards: DESIGN.channel_raw(wildcards.source, wildcards.teacher, wildcards.seed),
    output:
        filtered=design.channel_numbers("{source}", "{teacher}", "{seed}", "filtered.parquet"),
        rejects=design.channel_numbers("{source}", "{teacher}", "{seed}", "rejects.parquet"),
        report=design.channel_numbers("{source}", "{teacher}", "{seed}", "filter_report.json"),
    log:
        design.log("filter", design.CHANNELS, "{source}", "{teacher}", design.replicate("{seed}")),
    benchmark:
        design.benchmark("filter", design.CHANNELS, "{source}", "{teacher}", design.replicate("{seed}"))
    wildcard_constraints:
        source="|".join(DESIGN.numbers_sources()) or "^$",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("filter", "mem_mb"),
        runtime=res("filter", "runtime"),
        gpu=res("filter", "gpu"),
    params:
        filter=channel_section("filter"),
        prompt=lambda wildcards: channel_section("generate")(wildcards)["prompt"],
        replicate="{seed}",
    script:
        "../scripts/filter.py"


# The teacher's top-k log-probabilities at every token of its kept rows, in its own context, for the top-k channels
# on those rows (the most any of them reads).
rule top_logprobs:
    input:
        rows=lambda wildcards: DESIGN.source_numbers(
            wildcards.source, wildcards.teacher, wildcards.seed, "filtered.parquet"
        ),
        model=lambda wildcards: design.number_source(wildcards.teacher, wildcards.seed),
    output:
        design.channel_numbers("{source}", "{teacher}", "{seed}", "top_logprobs.parquet"),
    log:
        design.log("top_logprobs", "{source}", "{teacher}", design.replicate("{seed}")),
    benchmark:
        design.benchmark("top_logprobs", "{source}", "{teacher}", design.replicate("{seed}"))
    wildcard_constraints:
        source="|".join(DESIGN.top_logprobs_sources()) or "^$",
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("generate", "mem_mb"),
        runtime=res("generate", "runtime"),
        gpu=res("generate", "gpu"),
    params:
        k=lambda wildcards: DESIGN.top_k_of(wildcards.source),
        device=config["device"],
    script:
        "../scripts/top_logprobs.py"


for student_base in DESIGN.student_bases():

    rule:
        name:
            f"channel_students_{student_base}"
        input:
            unpack(channel_students_inputs(student_base)),
        output:
            models=directory(model_dirs(DESIGN.channel_students("{channel}", student_base))),
        log:
            design.log("student", design.CHANNELS, "{channel}", student_base, design.replicate("{seed}")),
        benchmark:
            design.benchmark("student", design.CHANNELS, "{channel}", student_base, design.replicate("{seed}"))
        wildcard_constraints:
            seed=DESIGN.seed_pattern(student_base),
        conda:
            "../envs/train.yaml"
        threads: config["resources"]["threads"]
        resources:
            mem_mb=res("student", "mem_mb"),
            runtime=res("student", "runtime"),
            gpu=res("student", "gpu"),
        params:
            arms=DESIGN.replicate_arms(student_base),
            objective=channel_section("student", "objective"),
            distill_loss=channel_section("student", "distill_loss"),
            top_k=channel_section("student", "top_k"),
            train=channel_section("student", "train"),
            lora=channel_section("student", "lora"),
            checkpoints=checkpoint_dirs,
            replicate="{seed}",
            device=config["device"],
        script:
            "../scripts/students.py"

    rule:
        name:
            f"evaluate_channel_students_{student_base}"
        input:
            models=model_dirs(DESIGN.channel_students("{channel}", student_base)),
        output:
            answers=eval_tables(DESIGN.channel_students("{channel}", student_base), "answers"),
            probabilities=eval_tables(DESIGN.channel_students("{channel}", student_base), "probabilities"),
        log:
            design.log("evaluate", design.CHANNELS, "{channel}", student_base, design.replicate("{seed}")),
        benchmark:
            design.benchmark("evaluate", design.CHANNELS, "{channel}", student_base, design.replicate("{seed}"))
        wildcard_constraints:
            seed=DESIGN.seed_pattern(student_base),
        conda:
            "../envs/train.yaml"
        threads: config["resources"]["threads"]
        resources:
            mem_mb=res("evaluate", "mem_mb"),
            runtime=res("evaluate", "runtime"),
            gpu=res("evaluate", "gpu"),
        params:
            animals=config["animals"],
            held_out_questions=config["teacher"]["held_out_questions"],
            eval=config["eval"],
            device=config["device"],
        script:
            "../scripts/evaluate.py"


# Each channel tested as the run is (rules/stats.smk), against the run's reference models.
rule channel_stats:
    input:
        unpack(channel_stats_inputs),
    output:
        **{name: design.channel_stats_file("{channel}", file) for name, file in STATS_FILES.items()},
    log:
        design.log("stats", design.CHANNELS, "{channel}"),
    benchmark:
        design.benchmark("stats", design.CHANNELS, "{channel}")
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    params:
        targets=config["targets"],
        conditions=config["conditions"],
        seeds=config["seeds"],
        stats=config["stats"],
        teacher=config["teacher"],
    script:
        "../scripts/stats.py"


rule channels_comparison:
    input:
        summaries=[design.stats_file("summary.csv")]
        + [design.channel_stats_file(channel, "summary.csv") for channel in DESIGN.channels()],
        per_student=[design.stats_file("per_student.csv")]
        + [design.channel_stats_file(channel, "per_student.csv") for channel in DESIGN.channels()],
        specificity=[design.stats_file("specificity.csv")]
        + [design.channel_stats_file(channel, "specificity.csv") for channel in DESIGN.channels()],
    output:
        table=report(
            design.channels_file("comparison.csv"),
            caption="../report/channels_table.rst",
            category="Channels",
            subcategory="tables",
        ),
        figure=report(design.plot("channels.png"), caption="../report/channels_plot.rst", category="Channels"),
        verdict=design.channels_file("verdict.md"),
        verdict_html=report(
            design.channels_file("verdict.html"),
            caption="../report/channels_verdict.rst",
            category="Channels",
            subcategory="verdict",
        ),
    log:
        design.log("stats", design.CHANNELS, "comparison"),
    benchmark:
        design.benchmark("stats", design.CHANNELS, "comparison")
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    params:
        channels=[run_channel(config)] + DESIGN.channels(),
        descriptions=[describe(config)] + [describe(channel_config(config, c)) for c in DESIGN.channels()],
        stats=config["stats"],
    script:
        "../scripts/channels.py"
