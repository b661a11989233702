rule stats:
    input:
        students=eval_tables(DESIGN.student_models(), "probabilities"),
        student_answers=eval_tables(DESIGN.student_models(), "answers"),
        references=eval_tables(DESIGN.reference_models(), "probabilities"),
        reference_answers=eval_tables(DESIGN.reference_models(), "answers"),
        filter_reports=[
            design.numbers(teacher, seed, "filter_report.json")
            for teacher in DESIGN.number_sources()
            for seed in config["seeds"]
        ],
    output:
        summary=report(
            design.stats_file(STATS_FILES["summary"]),
            caption="../report/summary.rst",
            category="Verdict",
            subcategory="tables",
        ),
        tests=report(
            design.stats_file(STATS_FILES["tests"]),
            caption="../report/tests.rst",
            category="Verdict",
            subcategory="tables",
        ),
        verdict=design.stats_file(STATS_FILES["verdict"]),
        verdict_html=report(
            design.stats_file(STATS_FILES["verdict_html"]),
            caption="../report/verdict.rst",
            category="Verdict",
            subcategory="verdict",
        ),
        per_student=design.stats_file(STATS_FILES["per_student"]),
        target_animal=report(
            design.stats_file(STATS_FILES["target_animal"]),
            caption="../report/target_animal.rst",
            category="Specificity",
            subcategory="tables",
        ),
        specificity=report(
            design.stats_file(STATS_FILES["specificity"]),
            caption="../report/specificity.rst",
            category="Specificity",
            subcategory="tables",
        ),
        population=report(
            design.stats_file(STATS_FILES["population"]),
            caption="../report/population.rst",
            category="Verdict",
            subcategory="tables",
        ),
        answers=design.stats_file(STATS_FILES["answers"]),
        probabilities=design.stats_file(STATS_FILES["probabilities"]),
        animals=design.stats_file(STATS_FILES["animals"]),
    log:
        design.log("stats", "all"),
    benchmark:
        design.benchmark("stats", "all")
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
