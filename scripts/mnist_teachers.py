"""Rule mnist_teachers: every seed's reference init, and that init trained on the digits' class logits."""
from subliminal_learning.mnist.data import load_tensors
from subliminal_learning.mnist.models import save_ensembles
from subliminal_learning.mnist.training import reference_and_teachers
from subliminal_learning.runtime import rule_context

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    digits = load_tensors(snakemake.input[0])
    init, teacher = reference_and_teachers(digits, p.hidden, p.max_m, p.seeds, p.teacher, device)
    save_ensembles({"seeds": p.seeds, "init": init, "teacher": teacher}, snakemake.output[0])
