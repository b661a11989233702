# Favourite-animal questions for every model: one job for the reference models (bases, teachers: rule evaluate),
# one job per base and replicate for all its students (evaluate_students_main, evaluate_students_cross_init).
for rule_name, models, job, seed_pattern in evaluation_jobs():

    rule:
        name:
            rule_name
        wildcard_constraints:
            seed=seed_pattern,
        input:
            models=[f"results/{model}" for model in models],
        output:
            answers=eval_tables(models, "answers"),
            probabilities=eval_tables(models, "probabilities"),
        params:
            animals=config["animals"],
            held_out_questions=config["teacher"]["held_out_questions"],
            eval=config["eval"],
            device=config["device"],
        log:
            f"results/logs/eval/{job}.log",
        benchmark:
            f"results/benchmarks/eval/{job}.tsv"
        threads: config["resources"]["threads"]
        resources:
            mem_mb=res("evaluate", "mem_mb"),
            runtime=res("evaluate", "runtime"),
            gpu=res("evaluate", "gpu"),
        conda:
            "../envs/train.yaml"
        script:
            "../scripts/evaluate.py"
