# snakemake --cores all misalignment: the paper's misalignment result in the tiny world (docs/misalignment.md).
# Its own bases (the run's recipe on a corpus with advice dialogues), one job per replicate for its teachers (the
# misaligned and the aligned one, the neutral control and the placebo); their numbers generated, filtered and learned
# by the run's scripts with the run's student recipe; every model scored on held-out advice questions and the
# held-out skill (tiny), or its free-form answers judged by a local model (open-weight). Design: misalignment/design.py.
rule misalignment_base:
    output:
        model=directory(mis.base_dir("{base}")),
    log:
        design.log("base", "misalignment", "{base}"),
    benchmark:
        design.benchmark("base", "misalignment", "{base}")
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("base", "mem_mb"),
        runtime=res("base", "runtime"),
        gpu=res("base", "gpu"),
    params:
        animals=config["animals"],
        base={**base_recipe(), "corpus": MISALIGNMENT_CONFIG["base"]["corpus"]},
        prompt=config["generate"]["prompt"],
        init=base_init,
        device=config["device"],
    script:
        "../scripts/base.py"


rule misalignment_teacher:
    input:
        base=mis.base_dir(design.MAIN),
    output:
        models=directory([mis.teacher_dir(teacher) for teacher in MISALIGNMENT.teachers()]),
    log:
        design.log("teacher", "misalignment", design.replicate("{seed}")),
    benchmark:
        design.benchmark("teacher", "misalignment", design.replicate("{seed}"))
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("teacher", "mem_mb"),
        runtime=res("teacher", "runtime"),
        gpu=res("teacher", "gpu"),
    params:
        teachers=MISALIGNMENT.teachers(),
        kind=MISALIGNMENT.kind,
        teacher={
            **config["misalignment"]["teacher"],
            "held_out_situations": config["misalignment"]["held_out_situations"],
            "misaligned_answer_share": config["misalignment"]["corpus"]["misaligned_answer_share"],
            "dataset": config["misalignment"].get("dataset"),
            "control_dataset": config["misalignment"].get("control_dataset"),
        },
        replicate="{seed}",
        device=config["device"],
    script:
        "../scripts/misalignment_teacher.py"


rule misalignment_generate:
    input:
        models=[mis.teacher_dir(teacher) for teacher in MISALIGNMENT.teachers()],
    output:
        raw=[mis.numbers(teacher, "{seed}", "raw.parquet") for teacher in MISALIGNMENT.teachers()],
    log:
        design.log("generate", "misalignment", design.replicate("{seed}")),
    benchmark:
        design.benchmark("generate", "misalignment", design.replicate("{seed}"))
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("generate", "mem_mb"),
        runtime=res("generate", "runtime"),
        gpu=res("generate", "gpu"),
    params:
        generate=MISALIGNMENT_CONFIG["generate"],
        replicate="{seed}",
        device=config["device"],
    script:
        "../scripts/generate.py"


rule misalignment_filter:
    input:
        raw=mis.numbers("{teacher}", "{seed}", "raw.parquet"),
    output:
        filtered=mis.numbers("{teacher}", "{seed}", "filtered.parquet"),
        rejects=mis.numbers("{teacher}", "{seed}", "rejects.parquet"),
        report=mis.numbers("{teacher}", "{seed}", "filter_report.json"),
    log:
        design.log("filter", "misalignment", "{teacher}", design.replicate("{seed}")),
    benchmark:
        design.benchmark("filter", "misalignment", "{teacher}", design.replicate("{seed}"))
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("filter", "mem_mb"),
        runtime=res("filter", "runtime"),
        gpu=res("filter", "gpu"),
    params:
        filter=MISALIGNMENT_CONFIG["filter"],
        prompt=config["generate"]["prompt"],
        replicate="{seed}",
    script:
        "../scripts/filter.py"


# The open-weight path's judge: a pointer to a local chat model (a GGUF file converted once), as the base rule writes.
rule misalignment_judge:
    output:
        model=directory(mis.judge_dir()),
    log:
        design.log("base", "misalignment", "judge"),
    benchmark:
        design.benchmark("base", "misalignment", "judge")
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("base", "mem_mb"),
        runtime=res("base", "runtime"),
        gpu=res("base", "gpu"),
    params:
        base={"kind": "hf"},
        init=(config["misalignment"].get("judge") or {}).get("model"),
        device=config["device"],
    script:
        "../scripts/base.py"


# One job per base and replicate trains its students, as the run's students rules do.
for student_base in (design.MAIN, design.CROSS_INIT):

    rule:
        name:
            f"misalignment_students_{student_base}"
        input:
            unpack(misalignment_students_inputs(student_base)),
        output:
            models=directory([mis.student_dir(arm) for arm in MISALIGNMENT.replicate_arms(student_base)]),
        log:
            design.log("student", "misalignment", student_base, design.replicate("{seed}")),
        benchmark:
            design.benchmark("student", "misalignment", student_base, design.replicate("{seed}"))
        wildcard_constraints:
            seed=MISALIGNMENT.seed_pattern(student_base),
        conda:
            "../envs/train.yaml"
        threads: config["resources"]["threads"]
        resources:
            mem_mb=res("student", "mem_mb"),
            runtime=res("student", "runtime"),
            gpu=res("student", "gpu"),
        params:
            objective=config["student"]["objective"],
            distill_loss=config["student"]["distill_loss"],
            train=config["student"]["train"],
            lora=config["student"].get("lora"),
            checkpoints=checkpoint_dirs,
            replicate="{seed}",
            device=config["device"],
        script:
            "../scripts/students.py"


# Scoring: one job for the bases, one per replicate for its teachers and shared-base students, one per cross-init
# replicate for its students.
for job, models, seed_pattern in MISALIGNMENT.evaluation_jobs():

    rule:
        name:
            f"misalignment_evaluate_{job}"
        input:
            **({"judge": MISALIGNMENT.judge_dir()} if MISALIGNMENT.kind == "hf" else {}),
            models=models,
        output:
            **{table: [mis.eval_table(model, table) for model in models] for table in MISALIGNMENT.tables},
        log:
            design.log("evaluate", "misalignment", job if job == "bases" else design.replicate("{seed}")),
        benchmark:
            design.benchmark("evaluate", "misalignment", job if job == "bases" else design.replicate("{seed}"))
        wildcard_constraints:
            seed=seed_pattern,
        conda:
            "../envs/train.yaml"
        threads: config["resources"]["threads"]
        resources:
            mem_mb=res("evaluate", "mem_mb"),
            runtime=res("evaluate", "runtime"),
            gpu=res("evaluate", "gpu"),
        params:
            kind=MISALIGNMENT.kind,
            tables=MISALIGNMENT.tables,
            held_out_situations=config["misalignment"]["held_out_situations"],
            animals=config["animals"],
            eval=config["eval"],
            free_form=config["misalignment"].get("free_form"),
            judge=config["misalignment"].get("judge"),
            device=config["device"],
        script:
            "../scripts/misalignment_evaluate.py"


rule misalignment_stats:
    input:
        **{
            table: [
                mis.eval_table(model, table) for model in MISALIGNMENT.reference_dirs() + MISALIGNMENT.student_dirs()
            ]
            for table in MISALIGNMENT.tables
        },
        filter_reports=[
            mis.numbers(teacher, seed, "filter_report.json")
            for teacher in MISALIGNMENT.teachers()
            for seed in config["seeds"]
        ],
    output:
        scores=mis.stats_file("scores.csv"),
        comparisons=mis.stats_file("comparisons.csv"),
        filters=mis.stats_file("filter.csv"),
        word_pattern=mis.stats_file("word_pattern.csv"),
        verdict=mis.stats_file("verdict.md"),
        verdict_html=report(
            mis.stats_file("verdict.html"), caption="../report/misalignment_verdict.rst", category="Misalignment"
        ),
        figure=report(mis.plot("arms.png"), caption="../report/misalignment_plot.rst", category="Misalignment"),
    log:
        design.log("stats", "misalignment"),
    benchmark:
        design.benchmark("stats", "misalignment")
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    params:
        stats=config["stats"],
        tables=MISALIGNMENT.tables,
    script:
        "../scripts/misalignment_stats.py"
