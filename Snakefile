# Subliminal learning (Cloud, Le et al., arXiv 2507.14805) as a DAG of cached artifacts:
# base -> teacher -> generate -> filter -> student -> evaluate -> stats.
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


rule all:
    input:
        "results/stats/summary.csv",
