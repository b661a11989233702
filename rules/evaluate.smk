# Favourite-animal questions for every model: one job per reference model (bases, teachers), one job per
# replicate for all its students.
rule evaluate:
    input:
        models=["results/{reference}"],
    output:
        answers=["results/eval/{reference}/answers.parquet"],
        probabilities=["results/eval/{reference}/probabilities.parquet"],
    params:
        animals=config["animals"],
        held_out_questions=config["teacher"]["held_out_questions"],
        eval=config["eval"],
        device=config["device"],
    log:
        "results/logs/eval/{reference}.log",
    benchmark:
        "results/benchmarks/eval/{reference}.tsv"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("evaluate", "mem_mb"),
        runtime=res("evaluate", "runtime"),
        gpu=res("evaluate", "gpu"),
    conda:
        "../envs/train.yaml"
    script:
        "../scripts/evaluate.py"


use rule evaluate as evaluate_students with:
    input:
        models=[f"results/{model}" for model in student_models(["{seed}"])],
    output:
        answers=eval_tables(student_models(["{seed}"]), "answers"),
        probabilities=eval_tables(student_models(["{seed}"]), "probabilities"),
    log:
        "results/logs/eval/students/seed{seed}.log",
    benchmark:
        "results/benchmarks/eval/students/seed{seed}.tsv"
