rule fingerprint:
    input:
        teacher=design.numbers("{target}", FIRST_SEED, "filtered.parquet"),
        control=design.numbers(DESIGN.control_teacher, FIRST_SEED, "filtered.parquet"),
    output:
        frequencies=design.fingerprint_file("{target}", "number_frequencies.parquet"),
        summary=report(
            design.fingerprint_file("{target}", "fingerprint.json"),
            caption="../report/fingerprint.rst",
            category="Fingerprint",
            subcategory="{target}",
        ),
        plot=report(
            design.fingerprint_file("{target}", "number_frequency.png"),
            caption="../report/fingerprint.rst",
            category="Fingerprint",
            subcategory="{target}",
        ),
    log:
        design.log("fingerprint", "{target}"),
    benchmark:
        design.benchmark("fingerprint", "{target}")
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("fingerprint", "mem_mb"),
        runtime=res("fingerprint", "runtime"),
        gpu=res("fingerprint", "gpu"),
    params:
        target="{target}",
        control=DESIGN.control_teacher,
        fingerprint=config["fingerprint"],
        max_digits=config["generate"]["prompt"]["max_digits"],
        confidence=config["stats"]["confidence"],
    script:
        "../scripts/fingerprint.py"
