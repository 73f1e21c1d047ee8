"""Benchmarks: the portal against bare-framework ceilings (python -m tests.bench.run)."""
