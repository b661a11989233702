# Subliminal learning (Cloud, Le et al., arXiv 2507.14805) as a DAG of cached artifacts:
# base -> teacher -> generate -> filter -> student -> evaluate -> stats -> plots and report;
# beside it the paper's MNIST auxiliary-logit experiment (rules/mnist.smk), and behind named targets the channels
# (rules/channels.smk), the misalignment experiment (rules/misalignment.smk), the defenses (rules/defenses.smk) and
# the blind data audit (rules/audit.smk).
from snakemake.utils import min_version

from subliminal_learning.config import validate_config

min_version("9.0")

# Rule scripts import the pipeline's package from this repository, installed or not.
os.environ.update(PYTHONPATH=os.pathsep.join(filter(None, [workflow.basedir, os.environ.get("PYTHONPATH")])))


# The embedded default; --configfile FILE overrides any of its keys.
configfile: os.path.join(workflow.basedir, "config.yaml")


validate_config(config, os.path.join(workflow.basedir, "schemas/config.schema.yaml"))


include: "rules/common.smk"
include: "rules/base.smk"
include: "rules/teacher.smk"
include: "rules/generate.smk"
include: "rules/filter.smk"
include: "rules/student.smk"
include: "rules/evaluate.smk"
include: "rules/stats.smk"
include: "rules/fingerprint.smk"
include: "rules/report.smk"
include: "rules/mnist.smk"
include: "rules/channels.smk"
include: "rules/misalignment.smk"
include: "rules/defenses.smk"
include: "rules/audit.smk"


# snakemake --report results/report.html (the default profile builds it after every run)
report: "report/workflow.rst"


rule all:
    input:
        design.stats_file("summary.csv"),
        [design.plot(target, f"{figure}.png") for target in config["targets"] for figure in ("trait", "animal_shifts")],
        design.plot("target_animal.png"),
        design.run_info(),
        [design.fingerprint_file(target, name) for target in config["targets"] for name in FINGERPRINT_OUTPUTS],
        design.mnist_file("verdict.md"),
        design.mnist_file("sweep.png"),


# snakemake --cores all channels: the run, and its arms trained through each channel of config key channels
rule channels:
    input:
        rules.all.input,
        design.channels_file("comparison.csv"),
        design.plot("channels.png"),
        design.channels_file("verdict.md"),


# snakemake --cores all misalignment: the run, and the misalignment experiment (tiny bases only)
rule misalignment:
    input:
        rules.all.input,
        lambda wildcards: MISALIGNMENT.target_files(),


# snakemake --cores all defenses: the run, and its students trained again on data each defense transformed
rule defenses:
    input:
        rules.all.input,
        lambda wildcards: DEFENSES.target_files(),


# snakemake --cores all audit: the run, and a blind audit of its teachers' numbers (and of audit.files)
rule audit:
    input:
        rules.all.input,
        lambda wildcards: AUDIT.target_files(),
