rule stats:
    input:
        students=eval_tables(student_models(), "probabilities"),
        student_answers=eval_tables(student_models(), "answers"),
        references=eval_tables(reference_models(), "probabilities"),
        reference_answers=eval_tables(reference_models(), "answers"),
        filter_reports=expand("results/numbers/{teacher}/filter_report.json", teacher=number_sources()),
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
