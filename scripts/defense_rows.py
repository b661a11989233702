"""Rule defense_rows: every teacher's kept rows of one replicate through a defense on the rows."""
from subliminal_learning.defenses.apply import rows_stage
from subliminal_learning.runtime import rule_context

p, inputs = snakemake.params, snakemake.input
models = p.spec["kind"] in ("divergence", "detector")  # the rows defenses that run models
with rule_context(snakemake.log[0], snakemake.threads, p.device if models else None) as device:
    rows_stage(p.spec, list(inputs.rows), p.seed, int(p.replicate), snakemake.output, other_path=inputs.get("other"),
               teacher_dirs=inputs.get("teachers"), base_dir=inputs.get("base"), device=device,
               raw_paths=inputs.get("raw"), filtering=(p.filter, p.prompt), student_cfg=p.student)
