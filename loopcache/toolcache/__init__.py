"""Semantic tool-call cache: equivalent read-only tool calls answered from cache (Python API + MCP proxy).

    args -> canonicalise -> key -> exact lookup -> semantic lookup (optional) -> verify -> answer
                                                                     else call the tool and store

    from loopcache.toolcache import ToolCache

    cache = ToolCache()                                   # SQLite under $LOOPCACHE_HOME or ~/.cache/loopcache

    @cache.tool(read_only=True, ttl=3600, semantic=True)
    def web_search(query: str, num_results: int = 10) -> list[str]: ...

    cache.register_tool(openai_or_mcp_tool_definition)    # read-only from MCP annotations.readOnlyHint
    result = cache.call("web_search", {"query": "..."}, fn, session="run-42")

    loopcache mcp-proxy [--config proxy.toml] [--semantic] -- <command that starts an MCP server>

Importing this package does no work and needs neither torch nor sentence-transformers: the names below are
loaded from their modules on first use (PEP 562), and the embedding model loads on the first semantic
lookup. See docs/toolcache.md for the pipeline, the formats and the measured quality.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loopcache.toolcache.cache import ToolCache
    from loopcache.toolcache.lookup import CachedToolError, Lookup, Stage
    from loopcache.toolcache.spec import Invalidation, Scope, SemanticPolicy, ToolSpec
    from loopcache.toolcache.stats import CacheStats
    from loopcache.toolcache.verify import VerifyPolicy

# public name -> the module that defines it
_EXPORTS = {
    "ToolCache": "cache",
    "CachedToolError": "lookup", "Lookup": "lookup", "Stage": "lookup",
    "Invalidation": "spec", "Scope": "spec", "SemanticPolicy": "spec", "ToolSpec": "spec",
    "CacheStats": "stats",
    "VerifyPolicy": "verify",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
