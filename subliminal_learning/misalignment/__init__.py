"""The misalignment experiment (the paper's safety result): a teacher that gives misaligned advice writes numbers,
the paper's banned numbers are filtered out, and students of its init learn to give misaligned advice."""
