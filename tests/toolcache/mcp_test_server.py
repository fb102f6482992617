"""A small MCP server for the proxy's end-to-end tests: `python mcp_test_server.py` (stdio).

Every tool result names how many upstream tool calls the server has served so far, so a test can tell a
cached answer (an old count) from a fresh one. `upstream_calls` is not read-only, so it always reaches here.
The back-channel tools use the client: progress, a tool added at run time (tools/list_changed), a log
message, sampling, elicitation and roots (server-to-client requests).
"""

from __future__ import annotations

from mcp import types
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel


class Confirmation(BaseModel):
    confirmed: bool
    note: str = ""

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

    @server.tool(annotations=READ_ONLY)
    async def count_steps(n: int, ctx: Context) -> str:
        """Count to n, reporting progress at each step."""
        for step in range(1, n + 1):
            await ctx.report_progress(step, n, f"step {step}")
        return f"call {served()}: counted to {n}"

    @server.tool(annotations=WRITES)
    async def add_tool(name: str, ctx: Context) -> str:
        """Add a read-only tool `name` at run time and tell the client the tool list changed."""
        def added(x: str) -> str:
            return f"call {served()}: {name}({x})"

        server.add_tool(added, name=name, description="added at run time", annotations=READ_ONLY)
        await ctx.request_context.session.send_tool_list_changed()
        await ctx.request_context.session.send_log_message("info", f"added {name}", logger="test-server")
        return f"call {served()}: added {name}"

    @server.tool(annotations=WRITES)
    async def ask_model(question: str, ctx: Context) -> str:
        """Ask the client's model (sampling/createMessage) and return its answer."""
        reply = await ctx.request_context.session.create_message(
            [types.SamplingMessage(role="user", content=types.TextContent(type="text", text=question))],
            max_tokens=20)
        return f"call {served()}: the model said {reply.content.text!r}"

    @server.tool(annotations=WRITES)
    async def confirm(action: str, ctx: Context) -> str:
        """Ask the user (elicitation/create) to confirm `action`."""
        answer = await ctx.elicit(f"Really {action}?", Confirmation)
        data = answer.data if answer.action == "accept" else None
        return f"call {served()}: {answer.action} confirmed={data.confirmed if data else None} note={data.note if data else ''}"

    @server.tool(annotations=WRITES)
    async def client_roots(ctx: Context) -> str:
        """The client's roots (roots/list)."""
        roots = await ctx.request_context.session.list_roots()
        return f"call {served()}: " + ",".join(str(root.uri) for root in roots.roots)

    @server.resource("notes://all")
    def all_notes() -> str:
        return "\n".join(state["notes"]) or "(none)"

    @server.prompt()
    def summarise(topic: str) -> str:
        return f"Summarise the notes about {topic}."

    return server


if __name__ == "__main__":
    build().run("stdio")
