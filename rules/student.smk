# One job per base and replicate trains every student that starts from that base in the replicate (the shared
# base: one per trait teacher, and the control; the cross_init base: the same on the other init), one after the
# other: a tiny student trains in seconds, less than a job takes to start.
for student_base in DESIGN.student_bases():

    rule:
        name:
            f"students_{student_base}"
        input:
            unpack(students_inputs(student_base)),
        output:
            models=directory(model_dirs(DESIGN.replicate_students(student_base))),
        log:
            design.log("student", student_base, design.replicate("{seed}")),
        benchmark:
            design.benchmark("student", student_base, design.replicate("{seed}"))
        wildcard_constraints:
            seed=DESIGN.seed_pattern(student_base),
        conda:
            "../envs/train.yaml"
        threads: config["resources"]["threads"]
        resources:
            mem_mb=res("student", "mem_mb"),
            runtime=res("student", "runtime"),
            gpu=res("student", "gpu"),
        params:
            arms=DESIGN.replicate_arms(student_base),
            objective=config["student"]["objective"],
            distill_loss=config["student"]["distill_loss"],
            train=config["student"]["train"],
            lora=config["student"].get("lora"),
            checkpoints=checkpoint_dirs,
            replicate="{seed}",
            device=config["device"],
        script:
            "../scripts/students.py"
