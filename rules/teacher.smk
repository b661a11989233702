# One job writes every teacher (each trait target, and the neutral control teacher): a tiny teacher trains in
# seconds, less than a job takes to start.
rule teacher:
    input:
        unpack(teacher_inputs),
    output:
        models=directory([design.model_dir(design.teacher_model(teacher)) for teacher in DESIGN.teacher_names()]),
    log:
        design.log("teacher", "all"),
    benchmark:
        design.benchmark("teacher", "all")
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("teacher", "mem_mb"),
        runtime=res("teacher", "runtime"),
        gpu=res("teacher", "gpu"),
    params:
        teachers=DESIGN.teacher_names(),
        animals=config["animals"],
        teacher=config["teacher"],
        device=config["device"],
    script:
        "../scripts/teacher.py"
