"""A blind audit of number data: canary students say which trait a data set carries, or none (docs/audit.md)."""
