"""A small MCP server for the proxy's end-to-end tests: `python mcp_test_server.py` (stdio).

Every tool result names how many upstream tool calls the server has served so far, so a test can tell a
cached answer (an old count) from a fresh one. `upstream_calls` is not read-only, so it always reaches here.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

READ_ONLY = ToolAnnotations(read_only_hint=True)
WRITES = ToolAnnotations(read_only_hint=False)


def build() -> MCPServer:
    server = MCPServer("loopcache-test-server")
    state = {"calls": 0, "notes": []}

    def served() -> int:
        state["calls"] += 1
        return state["calls"]

    @server.tool(annotations=READ_ONLY)
    def search(query: str, limit: int = 10) -> str:
        """Search the notes."""
        return f"call {served()}: {limit} results for {query!r}; notes={len(state['notes'])}"

    @server.tool(annotations=READ_ONLY)
    def lookup_order(order_id: str) -> str:
        """Look up an order."""
        return f"call {served()}: order {order_id}"

    @server.tool(annotations=READ_ONLY)
    def broken(x: int) -> str:
        """A read-only tool that always fails."""
        served()
        raise ValueError(f"broken for {x}")

    @server.tool(annotations=WRITES)
    def add_note(text: str) -> str:
        """Add a note (a side effect)."""
        state["notes"].append(text)
        return f"call {served()}: {len(state['notes'])} notes"

    @server.tool()
    def upstream_calls() -> int:
        """How many tool calls reached this server (no annotations: not read-only)."""
        return state["calls"]

    @server.resource("notes://all")
    def all_notes() -> str:
        return "\n".join(state["notes"]) or "(none)"

    @server.prompt()
    def summarise(topic: str) -> str:
        return f"Summarise the notes about {topic}."

    return server


if __name__ == "__main__":
    build().run("stdio")
