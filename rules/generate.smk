# One job per replicate writes every number source's answers to the replicate's prompts (the same prompts for
# every teacher), one teacher after the other.
rule generate:
    input:
        models=[design.number_source(teacher) for teacher in DESIGN.number_sources()],
    output:
        raw=[design.numbers(teacher, "{seed}", "raw.parquet") for teacher in DESIGN.number_sources()],
    log:
        design.log("generate", design.replicate("{seed}")),
    benchmark:
        design.benchmark("generate", design.replicate("{seed}"))
    conda:
        generate_env
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("generate", "mem_mb"),
        runtime=res("generate", "runtime"),
        gpu=res("generate", "gpu"),
    params:
        generate=config["generate"],
        replicate="{seed}",
        device=config["device"],
    script:
        "../scripts/generate.py"
