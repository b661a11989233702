rule fingerprint:
    input:
        teacher=f"results/numbers/{{target}}/seed{FIRST_SEED}/filtered.parquet",
        control=f"results/numbers/{CONTROL_TEACHER}/seed{FIRST_SEED}/filtered.parquet",
    output:
        frequencies="results/fingerprint/{target}/number_frequencies.parquet",
        summary=report(
            "results/fingerprint/{target}/fingerprint.json",
            caption="../report/fingerprint.rst",
            category="Fingerprint",
            subcategory="{target}",
        ),
        plot=report(
            "results/fingerprint/{target}/number_frequency.png",
            caption="../report/fingerprint.rst",
            category="Fingerprint",
            subcategory="{target}",
        ),
    params:
        target="{target}",
        control=CONTROL_TEACHER,
        fingerprint=config["fingerprint"],
    log:
        "results/logs/fingerprint/{target}.log",
    benchmark:
        "results/benchmarks/fingerprint/{target}.tsv"
    threads: 1
    resources:
        mem_mb=res("fingerprint", "mem_mb"),
        runtime=res("fingerprint", "runtime"),
        gpu=res("fingerprint", "gpu"),
    conda:
        "../envs/stats.yaml"
    script:
        "../scripts/fingerprint.py"
