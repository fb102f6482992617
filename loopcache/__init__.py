"""loopcache: a caching layer for LLM agents.

Heavy modules (torch, transformers) are imported lazily by the engine; importing this package does no work.
"""

__version__ = "0.1.0"
