rule base:
    output:
        model=directory(design.model_dir(design.base_model("{base}"))),
    log:
        design.log("base", "{base}"),
    benchmark:
        design.benchmark("base", "{base}")
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("base", "mem_mb"),
        runtime=res("base", "runtime"),
        gpu=res("base", "gpu"),
    params:
        animals=config["animals"],
        base=base_recipe(),
        prompt=config["generate"]["prompt"],
        init=base_init,
        device=config["device"],
    script:
        "../scripts/base.py"
