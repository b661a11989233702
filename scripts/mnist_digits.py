"""Rule mnist_digits: the teachers' digits and the held-out digits, split and scaled to [-1, 1]."""
from subliminal_learning.mnist.data import load_digits, save_digits, split_digits
from subliminal_learning.runtime import rule_context

data = snakemake.params.data
with rule_context(snakemake.log[0], snakemake.threads):
    images, labels = load_digits(data["source"], data.get("idx_dir"))
    save_digits(split_digits(images, labels, data["n_train"], data["n_test"], data["seed"]), snakemake.output[0])
