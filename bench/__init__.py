"""Benchmarks of the recurrentgpt package: `python -m bench.run --quick` (see BENCHMARKS.md)."""
