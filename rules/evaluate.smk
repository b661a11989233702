rule evaluate:
    input:
        model="results/{model}",
    output:
        answers="results/eval/{model}/answers.parquet",
        probabilities="results/eval/{model}/probabilities.parquet",
    params:
        animals=config["animals"],
        held_out_questions=config["teacher"]["held_out_questions"],
        eval=config["eval"],
        device=config["device"],
    log:
        "results/logs/eval/{model}.log",
    benchmark:
        "results/benchmarks/eval/{model}.tsv"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("evaluate", "mem_mb"),
        runtime=res("evaluate", "runtime"),
        gpu=res("evaluate", "gpu"),
    conda:
        "../envs/train.yaml"
    script:
        "../scripts/evaluate.py"
