# Defenses (snakemake --cores all defenses): the run's treated, control and placebo students trained again on data
# transformed by each defense of config key defenses (docs/defenses.md), at its own point: the teachers' generation,
# the kept rows, or the teacher's outputs as students read them. Upstream of that point every artifact is the run's.
# Design: defenses/design.py.


rule defense_generate:
    input:
        models=[design.number_source(teacher) for teacher in DEFENSES.teachers()],
    output:
        raw=[defenses.numbers("{defense}", teacher, "{seed}", "raw.parquet") for teacher in DEFENSES.teachers()],
    log:
        design.log("generate", defenses.ROOT, "{defense}", design.replicate("{seed}")),
    benchmark:
        design.benchmark("generate", defenses.ROOT, "{defense}", design.replicate("{seed}"))
    wildcard_constraints:
        defense="|".join(DEFENSES.names(defenses.GENERATION)) or "^$",
    conda:
        generate_env
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("generate", "mem_mb"),
        runtime=res("generate", "runtime"),
        gpu=res("generate", "gpu"),
    params:
        generate=lambda wildcards: {
            **config["generate"],
            **defenses.generate_overrides(DEFENSES.spec(wildcards.defense)),
        },
        replicate="{seed}",
        device=config["device"],
    script:
        "../scripts/generate.py"


rule defense_filter:
    input:
        raw=defenses.numbers("{defense}", "{teacher}", "{seed}", "raw.parquet"),
    output:
        filtered=defenses.numbers("{defense}", "{teacher}", "{seed}", "filtered.parquet"),
        rejects=defenses.numbers("{defense}", "{teacher}", "{seed}", "rejects.parquet"),
        report=defenses.numbers("{defense}", "{teacher}", "{seed}", "filter_report.json"),
    log:
        design.log("filter", defenses.ROOT, "{defense}", "{teacher}", design.replicate("{seed}")),
    benchmark:
        design.benchmark("filter", defenses.ROOT, "{defense}", "{teacher}", design.replicate("{seed}"))
    wildcard_constraints:
        defense="|".join(DEFENSES.names(defenses.GENERATION)) or "^$",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("filter", "mem_mb"),
        runtime=res("filter", "runtime"),
        gpu=res("filter", "gpu"),
    params:
        filter=config["filter"],
        prompt=config["generate"]["prompt"],
        replicate="{seed}",
    script:
        "../scripts/filter.py"


rule defense_rows:
    input:
        unpack(defense_rows_inputs),
    output:
        rows=[defenses.numbers("{defense}", teacher, "{seed}", "rows.parquet") for teacher in DEFENSES.teachers()],
    log:
        design.log("defense_rows", "{defense}", design.replicate("{seed}")),
    benchmark:
        design.benchmark("defense_rows", "{defense}", design.replicate("{seed}"))
    wildcard_constraints:
        defense="|".join(DEFENSES.names(defenses.ROWS)) or "^$",
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:  # divergence runs the teachers and the base, the detector trains canaries: a student's resources
        mem_mb=res("student", "mem_mb"),
        runtime=res("student", "runtime"),
        gpu=res("student", "gpu"),
    params:
        spec=lambda wildcards: DEFENSES.spec(wildcards.defense),
        seed=config["defenses"]["seed"],
        filter=config["filter"],
        prompt=config["generate"]["prompt"],
        student=config["student"],
        replicate="{seed}",
        device=config["device"],
    script:
        "../scripts/defense_rows.py"


rule defense_students:
    input:
        unpack(defense_students_inputs),
    output:
        models=directory(model_dirs(DEFENSES.students("{defense}"))),
    log:
        design.log("student", defenses.ROOT, "{defense}", design.replicate("{seed}")),
    benchmark:
        design.benchmark("student", defenses.ROOT, "{defense}", design.replicate("{seed}"))
    wildcard_constraints:
        defense="|".join(DEFENSES.names()) or "^$",
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
        top_k=None,
        train=config["student"]["train"],
        lora=config["student"]["lora"],
        targets=lambda wildcards: DEFENSES.target_transform(wildcards.defense),
        checkpoints=checkpoint_dirs,
        replicate="{seed}",
        device=config["device"],
    script:
        "../scripts/students.py"


rule evaluate_defense_students:
    input:
        models=model_dirs(DEFENSES.students("{defense}")),
    output:
        answers=eval_tables(DEFENSES.students("{defense}"), "answers"),
        probabilities=eval_tables(DEFENSES.students("{defense}"), "probabilities"),
    log:
        design.log("evaluate", defenses.ROOT, "{defense}", design.replicate("{seed}")),
    benchmark:
        design.benchmark("evaluate", defenses.ROOT, "{defense}", design.replicate("{seed}"))
    wildcard_constraints:
        defense="|".join(DEFENSES.names()) or "^$",
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


rule defenses_stats:
    input:
        undefended=design.stats_file("per_student.csv"),
        probabilities=eval_tables(DEFENSES.all_students(), "probabilities"),
        models=model_dirs(DEFENSES.all_students(defenses.TARGETS)),
        costs=DEFENSES.cost_files(),
    output:
        shares=report(
            defenses.output("shares.csv"),
            caption="../report/defenses_table.rst",
            category="Defenses",
            subcategory="tables",
        ),
        costs=defenses.output("costs.csv"),
        verdict=defenses.output("verdict.md"),
        verdict_html=report(
            defenses.output("verdict.html"),
            caption="../report/defenses_verdict.rst",
            category="Defenses",
            subcategory="verdict",
        ),
        figure=report(defenses.plot(), caption="../report/defenses_plot.rst", category="Defenses"),
    log:
        design.log("stats", defenses.ROOT),
    benchmark:
        design.benchmark("stats", defenses.ROOT)
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    params:
        specs=DEFENSES.transformations,
        skipped=defenses.skipped(config),
        targets=config["targets"],
        channel=describe(config),
        stats=config["stats"],
    script:
        "../scripts/defenses_stats.py"
