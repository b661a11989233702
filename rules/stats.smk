rule stats:
    input:
        students=eval_tables(student_models(), "probabilities"),
        student_answers=eval_tables(student_models(), "answers"),
        references=eval_tables(reference_models(), "probabilities"),
        reference_answers=eval_tables(reference_models(), "answers"),
        filter_reports=expand(
            "results/numbers/{teacher}/seed{seed}/filter_report.json", teacher=number_sources(), seed=config["seeds"]
        ),
    output:
        summary=report(
            "results/stats/summary.csv", caption="../report/summary.rst", category="Verdict", subcategory="tables"
        ),
        tests=report("results/stats/tests.csv", caption="../report/tests.rst", category="Verdict", subcategory="tables"),
        verdict="results/stats/verdict.md",
        verdict_html=report(
            "results/stats/verdict.html", caption="../report/verdict.rst", category="Verdict", subcategory="verdict"
        ),
        per_student="results/stats/per_student.csv",
        target_animal=report(
            "results/stats/target_animal.csv", caption="../report/target_animal.rst", category="Specificity",
            subcategory="tables",
        ),
        specificity=report(
            "results/stats/specificity.csv", caption="../report/specificity.rst", category="Specificity",
            subcategory="tables",
        ),
        population=report(
            "results/stats/population.csv", caption="../report/population.rst", category="Verdict",
            subcategory="tables",
        ),
        answers="results/stats/answers.parquet",
        probabilities="results/stats/target_probabilities.parquet",
        animals="results/stats/animal_logodds.parquet",
    params:
        targets=config["targets"],
        conditions=config["conditions"],
        seeds=config["seeds"],
        stats=config["stats"],
    log:
        "results/logs/stats.log",
    benchmark:
        "results/benchmarks/stats.tsv"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/stats.py"
