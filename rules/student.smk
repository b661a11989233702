rule student:
    input:
        unpack(student_inputs),
    output:
        model=directory("results/students/{condition}/{teacher}/seed{seed}"),
    params:
        objective=config["student"]["objective"],
        train=config["student"]["train"],
        lora=config["student"].get("lora"),
        checkpoints=checkpoint_dir,
        device=config["device"],
    log:
        "results/logs/students/{condition}/{teacher}/seed{seed}.log",
    benchmark:
        "results/benchmarks/students/{condition}/{teacher}/seed{seed}.tsv"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("student", "mem_mb"),
        runtime=res("student", "runtime"),
        gpu=res("student", "gpu"),
    conda:
        "../envs/train.yaml"
    script:
        "../scripts/student.py"
