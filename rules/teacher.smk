rule teacher:
    input:
        unpack(teacher_inputs),
    output:
        model=directory("results/teachers/{target}"),
    params:
        animals=config["animals"],
        teacher=config["teacher"],
        device=config["device"],
    log:
        "results/logs/teachers/{target}.log",
    benchmark:
        "results/benchmarks/teachers/{target}.tsv"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("teacher", "mem_mb"),
        runtime=res("teacher", "runtime"),
        gpu=res("teacher", "gpu"),
    conda:
        "../envs/train.yaml"
    script:
        "../scripts/teacher.py"
