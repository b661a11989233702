from subliminal_learning.report import build_report, whole_run


rule plots:
    input:
        summary="results/stats/summary.csv",
        per_student="results/stats/per_student.csv",
        animals="results/stats/animal_logodds.parquet",
    output:
        trait=report(
            "results/plots/{target}/trait.png", caption="../report/trait.rst", category="Verdict", subcategory="{target}"
        ),
        animal_shifts=report(
            "results/plots/{target}/animal_shifts.png",
            caption="../report/animal_shifts.rst",
            category="Specificity",
            subcategory="{target}",
        ),
    params:
        target="{target}",
        confidence=config["stats"]["confidence"],
    log:
        "results/logs/plots/{target}.log",
    benchmark:
        "results/benchmarks/plots/{target}.tsv"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/plots.py"


rule run_info:
    input:
        "results/stats/summary.csv",  # refreshed with every new verdict
    output:
        report("results/report/run_info.yaml", caption="../report/run_info.rst", category="Run"),
    params:
        config=config,
    log:
        "results/logs/run_info.log",
    benchmark:
        "results/benchmarks/run_info.tsv"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/run_info.py"


rule target_animal_plot:
    input:
        table="results/stats/target_animal.csv",
        specificity="results/stats/specificity.csv",
        population="results/stats/population.csv",
    output:
        report("results/plots/target_animal.png", caption="../report/target_animal_plot.rst", category="Specificity"),
    params:
        targets=config["targets"],
    log:
        "results/logs/plots/target_animal.log",
    benchmark:
        "results/benchmarks/plots/target_animal.tsv"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/target_animal_plot.py"


# The report describes the whole finished workflow: built after a successful run of rule all, not after a
# dry run or a run of part of the DAG (snakemake --report results/report.html builds it on demand).
onsuccess:
    if whole_run(workflow.dag_settings):
        build_report(workflow.main_snakefile, config)
