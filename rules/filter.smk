rule filter:
    input:
        raw="results/numbers/{teacher}/seed{seed}/raw.parquet",
    output:
        filtered="results/numbers/{teacher}/seed{seed}/filtered.parquet",
        rejects="results/numbers/{teacher}/seed{seed}/rejects.parquet",
        report="results/numbers/{teacher}/seed{seed}/filter_report.json",
    params:
        filter=config["filter"],
        prompt=config["generate"]["prompt"],
        replicate="{seed}",
    log:
        "results/logs/numbers/{teacher}/seed{seed}/filter.log",
    benchmark:
        "results/benchmarks/numbers/{teacher}/seed{seed}/filter.tsv"
    threads: 1
    resources:
        mem_mb=res("filter", "mem_mb"),
        runtime=res("filter", "runtime"),
        gpu=res("filter", "gpu"),
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/filter.py"
