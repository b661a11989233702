# One job per base and replicate trains every student that starts from that base in the replicate (the shared
# base: one per trait teacher, and the control; the cross_init base: the same on the other init), one after the
# other: a tiny student trains in seconds, less than a job takes to start.
for student_base in student_bases():

    rule:
        name:
            f"students_{student_base}"
        wildcard_constraints:
            seed=base_seed_pattern(student_base),
        input:
            unpack(students_inputs(student_base)),
        output:
            models=directory([f"results/{model}" for model in replicate_students(student_base)]),
        params:
            arms=replicate_arms(student_base),
            objective=config["student"]["objective"],
            distill_loss=config["student"].get("distill_loss", "kl"),
            train=config["student"]["train"],
            lora=config["student"].get("lora"),
            checkpoints=checkpoint_dirs,
            replicate="{seed}",
            device=config["device"],
        log:
            f"results/logs/students/{student_base}/seed{{seed}}.log",
        benchmark:
            f"results/benchmarks/students/{student_base}/seed{{seed}}.tsv"
        threads: config["resources"]["threads"]
        resources:
            mem_mb=res("student", "mem_mb"),
            runtime=res("student", "runtime"),
            gpu=res("student", "gpu"),
        conda:
            "../envs/train.yaml"
        script:
            "../scripts/students.py"
