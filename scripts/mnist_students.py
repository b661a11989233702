"""Rule mnist_students: every student arm at one m, each arm's seeds as one batched ensemble."""
from subliminal_learning.artifacts import write_parquet
from subliminal_learning.mnist.arms import arm_accuracies
from subliminal_learning.mnist.data import load_tensors
from subliminal_learning.mnist.models import load_ensembles
from subliminal_learning.mnist.training import noise_images
from subliminal_learning.runtime import rule_context

p = snakemake.params
with rule_context(snakemake.log[0], snakemake.threads, p.device) as device:
    digits = load_tensors(snakemake.input.digits)
    models = load_ensembles(snakemake.input.teachers)
    noise = noise_images(p.student["n_noise"], p.student["seed"])
    table = arm_accuracies(models["init"], models["teacher"], int(p.m), models["seeds"], noise, digits, p.student,
                           p.arms, device)
    write_parquet(table, snakemake.output[0])
