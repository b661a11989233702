rule generate:
    input:
        model=numbers_source,
    output:
        raw="results/numbers/{teacher}/seed{seed}/raw.parquet",
    params:
        generate=config["generate"],
        replicate="{seed}",
        device=config["device"],
    log:
        "results/logs/numbers/{teacher}/seed{seed}/generate.log",
    benchmark:
        "results/benchmarks/numbers/{teacher}/seed{seed}/generate.tsv"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("generate", "mem_mb"),
        runtime=res("generate", "runtime"),
        gpu=res("generate", "gpu"),
    conda:
        generate_env
    script:
        "../scripts/generate.py"
