# The paper's MNIST auxiliary-logit experiment, beside the language-model DAG:
# digits -> teachers -> students (one job per m: every arm, every seed as one batched ensemble) -> stats, plots;
# theorem (one small step from a shared and from a different init) -> stats.
MNIST = config["mnist"]
# One teacher per seed, with the widest auxiliary head of the sweep, serves every m (inits are nested).
MNIST_MAX_M = max(MNIST["m"])


rule mnist_digits:
    output:
        design.mnist_file("digits.npz"),
    log:
        design.log("mnist", "digits"),
    benchmark:
        design.benchmark("mnist", "digits")
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=res("mnist", "mem_mb"),
        runtime=res("mnist", "runtime"),
        gpu=0,
    params:
        data=MNIST["data"],
    script:
        "../scripts/mnist_digits.py"


rule mnist_teachers:
    input:
        design.mnist_file("digits.npz"),
    output:
        design.mnist_file("teachers.pt"),
    log:
        design.log("mnist", "teachers"),
    benchmark:
        design.benchmark("mnist", "teachers")
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("mnist", "mem_mb"),
        runtime=res("mnist", "runtime"),
        gpu=res("mnist", "gpu"),
    params:
        hidden=MNIST["hidden"],
        max_m=MNIST_MAX_M,
        seeds=MNIST["seeds"],
        teacher=MNIST["teacher"],
        device=config["device"],
    script:
        "../scripts/mnist_teachers.py"


rule mnist_students:
    input:
        digits=design.mnist_file("digits.npz"),
        teachers=design.mnist_file("teachers.pt"),
    output:
        design.mnist_file("m{m}", "accuracy.parquet"),
    log:
        design.log("mnist", "m{m}/students"),
    benchmark:
        design.benchmark("mnist", "m{m}/students")
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("mnist", "mem_mb"),
        runtime=res("mnist", "runtime"),
        gpu=res("mnist", "gpu"),
    params:
        m="{m}",
        arms=MNIST["arms"],
        student=MNIST["student"],
        device=config["device"],
    script:
        "../scripts/mnist_students.py"


rule mnist_theorem:
    input:
        design.mnist_file("digits.npz"),
    output:
        draws=design.mnist_file("theorem.parquet"),
        summary=design.mnist_file("theorem.csv"),
    log:
        design.log("mnist", "theorem"),
    benchmark:
        design.benchmark("mnist", "theorem")
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("mnist", "mem_mb"),
        runtime=res("mnist", "runtime"),
        gpu=res("mnist", "gpu"),
    params:
        hidden=MNIST["hidden"],
        theorem=MNIST["theorem"],
        loss=MNIST["student"]["loss"],
        device=config["device"],
    script:
        "../scripts/mnist_theorem.py"


rule mnist_stats:
    input:
        accuracy=expand(design.mnist_file("m{m}", "accuracy.parquet"), m=MNIST["m"]),
        theorem=design.mnist_file("theorem.csv"),
    output:
        accuracy=design.mnist_file("accuracy.parquet"),
        summary=report(
            design.mnist_file("summary.csv"),
            caption="../report/mnist_summary.rst",
            category="MNIST",
            subcategory="tables",
        ),
        tests=report(
            design.mnist_file("tests.csv"), caption="../report/mnist_tests.rst", category="MNIST", subcategory="tables"
        ),
        verdict=design.mnist_file("verdict.md"),
        verdict_html=report(
            design.mnist_file("verdict.html"),
            caption="../report/mnist_verdict.rst",
            category="MNIST",
            subcategory="verdict",
        ),
    log:
        design.log("mnist", "stats"),
    benchmark:
        design.benchmark("mnist", "stats")
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=0,
    params:
        stats=MNIST["stats"],
        loss=MNIST["student"]["loss"],
    script:
        "../scripts/mnist_stats.py"


rule mnist_plots:
    input:
        accuracy=design.mnist_file("accuracy.parquet"),
        summary=design.mnist_file("summary.csv"),
        theorem=design.mnist_file("theorem.parquet"),
    output:
        sweep=report(
            design.mnist_file("sweep.png"),
            caption="../report/mnist_sweep.rst",
            category="MNIST",
            subcategory="verdict",
        ),
        theorem=report(
            design.mnist_file("theorem.png"),
            caption="../report/mnist_theorem.rst",
            category="MNIST",
            subcategory="theorem",
        ),
    log:
        design.log("mnist", "plots"),
    benchmark:
        design.benchmark("mnist", "plots")
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=0,
    params:
        chance=MNIST["stats"]["chance"],
    script:
        "../scripts/mnist_plots.py"
