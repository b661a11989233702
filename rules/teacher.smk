# One job writes every teacher (each trait target, and the neutral control teacher): a tiny teacher trains in
# seconds, less than a job takes to start.
rule teacher:
    input:
        unpack(teacher_inputs),
    output:
        models=directory([f"results/teachers/{teacher}" for teacher in teacher_names()]),
    params:
        teachers=teacher_names(),
        animals=config["animals"],
        teacher=config["teacher"],
        device=config["device"],
    log:
        "results/logs/teachers/all.log",
    benchmark:
        "results/benchmarks/teachers/all.tsv"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("teacher", "mem_mb"),
        runtime=res("teacher", "runtime"),
        gpu=res("teacher", "gpu"),
    conda:
        "../envs/train.yaml"
    script:
        "../scripts/teacher.py"
