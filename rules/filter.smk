rule filter:
    input:
        raw="results/numbers/{teacher}/raw.parquet",
    output:
        filtered="results/numbers/{teacher}/filtered.parquet",
        rejects="results/numbers/{teacher}/rejects.parquet",
        report="results/numbers/{teacher}/filter_report.json",
    params:
        filter=config["filter"],
        prompt=config["generate"]["prompt"],
    log:
        "results/logs/numbers/{teacher}/filter.log",
    benchmark:
        "results/benchmarks/numbers/{teacher}/filter.tsv"
    threads: 1
    resources:
        mem_mb=res("filter", "mem_mb"),
        runtime=res("filter", "runtime"),
        gpu=res("filter", "gpu"),
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/filter.py"
