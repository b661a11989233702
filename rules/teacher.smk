# One job per replicate writes its teachers (each trait target, the neutral control teacher and the placebo),
# each fine-tuned with seeds derived from the replicate: a tiny teacher trains in seconds, less than a job takes
# to start.
rule teacher:
    input:
        unpack(teacher_inputs),
    output:
        models=directory([design.model_dir(design.teacher_model(teacher)) for teacher in DESIGN.teacher_names()]),
    log:
        design.log("teacher", design.replicate("{seed}")),
    benchmark:
        design.benchmark("teacher", design.replicate("{seed}"))
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
        replicate="{seed}",
        device=config["device"],
    script:
        "../scripts/teacher.py"
