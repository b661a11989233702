rule stats:
    input:
        students=eval_tables(student_models(), "probabilities"),
        student_answers=eval_tables(student_models(), "answers"),
        references=eval_tables(reference_models(), "probabilities"),
        reference_answers=eval_tables(reference_models(), "answers"),
        filter_reports=expand("results/numbers/{teacher}/filter_report.json", teacher=number_sources()),
    output:
        summary="results/stats/summary.csv",
        per_student="results/stats/per_student.csv",
        verdict="results/stats/verdict.md",
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
