"""The language-model experiment: a teacher with a trait writes numbers, students learn from them."""
