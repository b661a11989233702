"""Defenses: named transformations of the teachers' data, each applied to every arm alike, and what remains of the
trait's transfer after each (rules/defenses.smk, docs/defenses.md)."""
