rule base:
    output:
        model=directory("results/base/{base}"),
    params:
        animals=config["animals"],
        base=base_recipe(),
        prompt=config["generate"]["prompt"],
        init=base_init,
        device=config["device"],
    log:
        "results/logs/base/{base}.log",
    benchmark:
        "results/benchmarks/base/{base}.tsv"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("base", "mem_mb"),
        runtime=res("base", "runtime"),
        gpu=res("base", "gpu"),
    conda:
        "../envs/train.yaml"
    script:
        "../scripts/base.py"
