"""Replay sessions under cache policies (tiny strategy classes behind a registry) and price the result."""
