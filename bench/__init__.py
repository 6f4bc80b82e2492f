"""Benchmarks: ``python -m bench.run`` (``make bench``) measures the pull against baselines."""
