from subliminal_learning.report import build_report, whole_run


rule plots:
    input:
        summary=design.stats_file("summary.csv"),
        per_student=design.stats_file("per_student.csv"),
        animals=design.stats_file("animal_logodds.parquet"),
    output:
        trait=report(
            design.plot("{target}", "trait.png"),
            caption="../report/trait.rst",
            category="Verdict",
            subcategory="{target}",
        ),
        animal_shifts=report(
            design.plot("{target}", "animal_shifts.png"),
            caption="../report/animal_shifts.rst",
            category="Specificity",
            subcategory="{target}",
        ),
    log:
        design.log("plots", "{target}"),
    benchmark:
        design.benchmark("plots", "{target}")
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    params:
        target="{target}",
        confidence=config["stats"]["confidence"],
    script:
        "../scripts/plots.py"


rule run_info:
    input:
        design.stats_file("summary.csv"),  # refreshed with every new verdict
    output:
        report(design.run_info(), caption="../report/run_info.rst", category="Run"),
    log:
        design.log("run_info", "all"),
    benchmark:
        design.benchmark("run_info", "all")
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    params:
        config=config,
    script:
        "../scripts/run_info.py"


rule target_animal_plot:
    input:
        table=design.stats_file("target_animal.csv"),
        specificity=design.stats_file("specificity.csv"),
        population=design.stats_file("population.csv"),
    output:
        report(design.plot("target_animal.png"), caption="../report/target_animal_plot.rst", category="Specificity"),
    log:
        design.log("plots", "target_animal"),
    benchmark:
        design.benchmark("plots", "target_animal")
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    params:
        targets=config["targets"],
    script:
        "../scripts/target_animal_plot.py"


# The report describes the whole finished workflow: built after a successful run of rule all, not after a
# dry run or a run of part of the DAG (snakemake --report results/report.html builds it on demand).
onsuccess:
    if whole_run(workflow.dag_settings):
        build_report(workflow.main_snakefile, config)
