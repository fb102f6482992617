"""Reproducible agent-loop workloads, shared by `loopcache demo` and the benchmarks."""
