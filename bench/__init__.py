"""Benchmarks and the data generator (run each as ``python -m bench.<name>``)."""
