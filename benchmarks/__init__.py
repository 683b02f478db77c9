"""Benchmarks: run each with `python -m benchmarks.<name>`, or all with `make bench`."""
