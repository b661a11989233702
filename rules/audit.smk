# snakemake --cores all audit: a blind audit of number data (docs/audit.md). Canary students train on each data set
# (every teacher's kept numbers of the first audit.replicates replicates, with the teacher's top-k log-probabilities,
# and any file in audit.files) and on the base's own numbers; the audit calls the animal the data's canaries raise.


rule audit_reference_generate:
    input:
        models=[design.number_source(design.BASE)],
    output:
        raw=[audit.data(f"{audit.REFERENCE}/seed{{seed}}", "raw.parquet")],
    log:
        audit.audit_log("generate", f"{audit.REFERENCE}/seed{{seed}}"),
    benchmark:
        audit.audit_benchmark("generate", f"{audit.REFERENCE}/seed{{seed}}")
    conda:
        generate_env
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("generate", "mem_mb"),
        runtime=res("generate", "runtime"),
        gpu=res("generate", "gpu"),
    params:
        generate=config["generate"],
        replicate="{seed}",
        device=config["device"],
    script:
        "../scripts/generate.py"


rule audit_reference_filter:
    input:
        raw=audit.data(f"{audit.REFERENCE}/seed{{seed}}", "raw.parquet"),
    output:
        filtered=audit.data(f"{audit.REFERENCE}/seed{{seed}}", "filtered.parquet"),
        rejects=audit.data(f"{audit.REFERENCE}/seed{{seed}}", "rejects.parquet"),
        report=audit.data(f"{audit.REFERENCE}/seed{{seed}}", "filter_report.json"),
    log:
        audit.audit_log("filter", f"{audit.REFERENCE}/seed{{seed}}"),
    benchmark:
        audit.audit_benchmark("filter", f"{audit.REFERENCE}/seed{{seed}}")
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("filter", "mem_mb"),
        runtime=res("filter", "runtime"),
        gpu=res("filter", "gpu"),
    params:
        filter=config["filter"],
        prompt=config["generate"]["prompt"],
        replicate="{seed}",
    script:
        "../scripts/filter.py"


# what the model that wrote a data set returns with it: its top-k log-probabilities at every token of the kept rows
rule audit_logprobs:
    input:
        rows=lambda wildcards: AUDIT.source(f"{wildcards.source}/seed{wildcards.seed}")[0],
        model=lambda wildcards: AUDIT.source(f"{wildcards.source}/seed{wildcards.seed}")[1],
    output:
        audit.data("{source}/seed{seed}", "top_logprobs.parquet"),
    log:
        audit.audit_log("top_logprobs", "{source}/seed{seed}"),
    benchmark:
        audit.audit_benchmark("top_logprobs", "{source}/seed{seed}")
    wildcard_constraints:
        source="|".join([audit.REFERENCE, *AUDIT.teachers()]),
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("generate", "mem_mb"),
        runtime=res("generate", "runtime"),
        gpu=res("generate", "gpu"),
    params:
        k=AUDIT.section.get("top_k"),
        device=config["device"],
    script:
        "../scripts/top_logprobs.py"


rule audit_canaries:
    input:
        unpack(audit_canaries_inputs),
    output:
        logodds=audit.canaries("{name}"),
        row_scores=audit.canaries("{name}", "row_scores.parquet"),
    log:
        audit.audit_log("canaries", "{name}"),
    benchmark:
        audit.audit_benchmark("canaries", "{name}")
    wildcard_constraints:
        name="|".join(AUDIT.references() + AUDIT.audited()) or "^$",
    conda:
        "../envs/train.yaml"
    threads: config["resources"]["threads"]
    resources:
        mem_mb=res("student", "mem_mb"),
        runtime=res("student", "runtime"),
        gpu=res("student", "gpu"),
    params:
        cfg={"audit": AUDIT.section, "student": config["student"], "animals": config["animals"]},
        held_out=config["teacher"]["held_out_questions"],
        filter=config["filter"],
        prompt=config["generate"]["prompt"],
        scored=lambda wildcards: sorted(AUDIT.scored_sources(wildcards.name)),
        device=config["device"],
    script:
        "../scripts/audit_canaries.py"


rule audit_stats:
    input:
        canaries=AUDIT.canary_files(),
        row_scores=[audit.canaries(name, "row_scores.parquet") for name in AUDIT.audited()],
    output:
        calls=report(
            audit.output("calls.csv"),
            caption="../report/audit_table.rst",
            category="Audit",
            subcategory="tables",
        ),
        shifts=audit.output("shifts.csv"),
        row_scores=audit.output("row_scores.csv"),
        summary=audit.output("summary.csv"),
        verdict=audit.output("verdict.md"),
        verdict_html=report(
            audit.output("verdict.html"),
            caption="../report/audit_verdict.rst",
            category="Audit",
            subcategory="verdict",
        ),
        figure=report(audit.figure(), caption="../report/audit_plot.rst", category="Audit"),
    log:
        design.log("stats", audit.ROOT),
    benchmark:
        design.benchmark("stats", audit.ROOT)
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=res("stats", "mem_mb"),
        runtime=res("stats", "runtime"),
        gpu=res("stats", "gpu"),
    params:
        names=AUDIT.references() + AUDIT.audited(),
        references={name: AUDIT.reference_of(name) for name in AUDIT.audited()},
        truths={name: AUDIT.truth(name) for name in AUDIT.audited()},
        audited=AUDIT.audited(),
        audit=AUDIT.section,
        animals=config["animals"],
        stats=config["stats"],
    script:
        "../scripts/audit_stats.py"
