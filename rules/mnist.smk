# The paper's MNIST auxiliary-logit experiment, beside the language-model DAG:
# digits -> teachers -> students (one job per m: every arm, every seed as one batched ensemble) -> stats, plots;
# theorem (one small step from a shared and from a different init) -> stats.
MNIST = config["mnist"]
# One teacher per seed, with the widest auxiliary head of the sweep, serves every m (inits are nested).
MNIST_MAX_M = max(MNIST["m"])


wildcard_constraints:
    m=r"\d+",


rule mnist_digits:
    output:
        "results/mnist/digits.npz",
    params:
        data=MNIST["data"],
    log:
        "results/logs/mnist/digits.log",
    benchmark:
        "results/benchmarks/mnist/digits.tsv"
    threads: 1
    resources:
        mem_mb=res("mnist", "mem_mb"),
        runtime=res("mnist", "runtime"),
        gpu=0,
    conda:
        "../envs/train.yaml"
    script:
        "../scripts/mnist_digits.py"


rule mnist_teachers:
    input:
        "results/mnist/digits.npz",
    output:
        "results/mnist/teachers.pt",
    params:
        hidden=MNIST["hidden"],
        max_m=MNIST_MAX_M,
        seeds=MNIST["seeds"],
        teacher=MNIST["teacher"],
        device=config["device"],
    log:
        "results/logs/mnist/teachers.log",
    benchmark:
        "results/benchmarks/mnist/teachers.tsv"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("mnist", "mem_mb"),
        runtime=res("mnist", "runtime"),
        gpu=res("mnist", "gpu"),
    conda:
        "../envs/train.yaml"
    script:
        "../scripts/mnist_teachers.py"


rule mnist_students:
    input:
        digits="results/mnist/digits.npz",
        teachers="results/mnist/teachers.pt",
    output:
        "results/mnist/m{m}/accuracy.parquet",
    params:
        m="{m}",
        arms=MNIST["arms"],
        student=MNIST["student"],
        device=config["device"],
    log:
        "results/logs/mnist/m{m}/students.log",
    benchmark:
        "results/benchmarks/mnist/m{m}/students.tsv"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("mnist", "mem_mb"),
        runtime=res("mnist", "runtime"),
        gpu=res("mnist", "gpu"),
    conda:
        "../envs/train.yaml"
    script:
        "../scripts/mnist_students.py"


rule mnist_theorem:
    input:
        "results/mnist/digits.npz",
    output:
        draws="results/mnist/theorem.parquet",
        summary="results/mnist/theorem.csv",
    params:
        hidden=MNIST["hidden"],
        theorem=MNIST["theorem"],
        loss=MNIST["student"]["loss"],
        device=config["device"],
    log:
        "results/logs/mnist/theorem.log",
    benchmark:
        "results/benchmarks/mnist/theorem.tsv"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("mnist", "mem_mb"),
        runtime=res("mnist", "runtime"),
        gpu=res("mnist", "gpu"),
    conda:
        "../envs/train.yaml"
    script:
        "../scripts/mnist_theorem.py"


rule mnist_stats:
    input:
        accuracy=expand("results/mnist/m{m}/accuracy.parquet", m=MNIST["m"]),
        theorem="results/mnist/theorem.csv",
    output:
        accuracy="results/mnist/accuracy.parquet",
        summary=report("results/mnist/summary.csv", caption="../report/mnist_summary.rst", category="MNIST",
                       subcategory="tables"),
        tests=report("results/mnist/tests.csv", caption="../report/mnist_tests.rst", category="MNIST",
                     subcategory="tables"),
        verdict="results/mnist/verdict.md",
        verdict_html=report("results/mnist/verdict.html", caption="../report/mnist_verdict.rst", category="MNIST",
                            subcategory="verdict"),
    params:
        stats=MNIST["stats"],
        loss=MNIST["student"]["loss"],
    log:
        "results/logs/mnist/stats.log",
    benchmark:
        "results/benchmarks/mnist/stats.tsv"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=0,
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/mnist_stats.py"


rule mnist_plots:
    input:
        accuracy="results/mnist/accuracy.parquet",
        summary="results/mnist/summary.csv",
        theorem="results/mnist/theorem.parquet",
    output:
        sweep=report("results/mnist/sweep.png", caption="../report/mnist_sweep.rst", category="MNIST",
                     subcategory="verdict"),
        theorem=report("results/mnist/theorem.png", caption="../report/mnist_theorem.rst", category="MNIST",
                       subcategory="theorem"),
    params:
        chance=MNIST["stats"]["chance"],
    log:
        "results/logs/mnist/plots.log",
    benchmark:
        "results/benchmarks/mnist/plots.tsv"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=0,
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/mnist_plots.py"
