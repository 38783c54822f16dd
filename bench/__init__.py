"""Benchmarks: `python bench/run.py` prints the results table (see bench/RESULTS.md)."""
