# One job per replicate writes every number source's answers to the replicate's prompts (the same prompts for
# every teacher), one teacher after the other.
rule generate:
    input:
        models=[number_source(teacher) for teacher in number_sources()],
    output:
        raw=raw_numbers(),
    params:
        generate=config["generate"],
        replicate="{seed}",
        device=config["device"],
    log:
        "results/logs/numbers/seed{seed}/generate.log",
    benchmark:
        "results/benchmarks/numbers/seed{seed}/generate.tsv"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("generate", "mem_mb"),
        runtime=res("generate", "runtime"),
        gpu=res("generate", "gpu"),
    conda:
        generate_env
    script:
        "../scripts/generate.py"
