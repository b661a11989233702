rule filter:
    input:
        raw=design.numbers("{teacher}", "{seed}", "raw.parquet"),
    output:
        filtered=design.numbers("{teacher}", "{seed}", "filtered.parquet"),
        rejects=design.numbers("{teacher}", "{seed}", "rejects.parquet"),
        report=design.numbers("{teacher}", "{seed}", "filter_report.json"),
    log:
        design.log("filter", "{teacher}", design.replicate("{seed}")),
    benchmark:
        design.benchmark("filter", "{teacher}", design.replicate("{seed}"))
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
