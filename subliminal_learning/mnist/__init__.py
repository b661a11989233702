"""The paper's MNIST experiment: students learn a teacher's digits from its auxiliary logits on noise."""
