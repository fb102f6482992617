"""Semantic tool-call cache: equivalent read-only tool calls answered from cache (Python API + MCP proxy).

    args -> canonicalise -> key -> exact lookup -> semantic lookup (optional) -> verify -> answer
                                                                     else call the tool and store

    from loopcache.toolcache.cache import ToolCache

    cache = ToolCache()                                   # SQLite under $LOOPCACHE_HOME or ~/.cache/loopcache

    @cache.tool(read_only=True, ttl=3600, semantic=True)
    def web_search(query: str, num_results: int = 10) -> list[str]: ...

    cache.register_tool(openai_or_mcp_tool_definition)    # read-only from MCP annotations.readOnlyHint
    result = cache.call("web_search", {"query": "..."}, fn, session="run-42")

    loopcache mcp-proxy [--config proxy.toml] [--semantic] -- <command that starts an MCP server>

Importing this package does no work and needs neither torch nor sentence-transformers; the embedding
model loads on the first semantic lookup. Import the pieces from their modules (cache, canonical, ...).
"""
