"""Synthetic sample data: a demo province modelled on Qinghai and large interval batches for benchmarks."""
