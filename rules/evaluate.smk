# Favourite-animal questions for every model: one job for the reference models (bases, teachers: rule evaluate),
# one job per base and replicate for all its students (evaluate_students_main, evaluate_students_cross_init).
for rule_name, models, job, seed_pattern in DESIGN.evaluation_jobs():

    rule:
        name:
            rule_name
        input:
            models=model_dirs(models),
        output:
            answers=eval_tables(models, "answers"),
            probabilities=eval_tables(models, "probabilities"),
        log:
            design.log("evaluate", job),
        benchmark:
            design.benchmark("evaluate", job)
        wildcard_constraints:
            seed=seed_pattern,
        conda:
            "../envs/train.yaml"
        threads: config["resources"]["threads"]
        resources:
            mem_mb=res("evaluate", "mem_mb"),
            runtime=res("evaluate", "runtime"),
            gpu=res("evaluate", "gpu"),
        params:
            animals=config["animals"],
            held_out_questions=config["teacher"]["held_out_questions"],
            eval=config["eval"],
            device=config["device"],
        script:
            "../scripts/evaluate.py"
