"""Talk MCP to a real server through `loopcache mcp-proxy` and watch repeated calls come from cache.

    .venv/bin/python examples/toolcache_mcp_client.py                  # mcp-server-time, else mcp-server-git
    .venv/bin/python examples/toolcache_mcp_client.py -- <server command...>

The proxy is started exactly as an MCP host (Claude Desktop, an agent framework) would start it:
`loopcache mcp-proxy --cache-dir DIR -- mcp-server-time`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client


async def main() -> None:
    bin_dir = Path(sys.executable).parent
    repo = str(Path(__file__).resolve().parents[1])
    default = ([str(bin_dir / "mcp-server-time")] if (bin_dir / "mcp-server-time").exists()
               else [str(bin_dir / "mcp-server-git"), "--repository", repo])
    server = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else default
    cache_dir = tempfile.mkdtemp(prefix="loopcache-proxy-")
    params = StdioServerParameters(command=str(bin_dir / "loopcache"),
                                   args=["mcp-proxy", "--cache-dir", cache_dir, "--verbose", "--", *server])
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = (await session.list_tools()).tools
        for tool in tools:
            read_only = bool(tool.annotations and tool.annotations.read_only_hint)
            print(f"tool {tool.name}: {'read-only, cached' if read_only else 'side effects, passed through'}")
        if any(tool.name == "convert_time" for tool in tools):
            args = {"source_timezone": "Europe/Paris", "time": "10:00", "target_timezone": "Asia/Tokyo"}
            for attempt in range(3):
                result = await session.call_tool("convert_time", args)
                cache = (result.meta or {}).get("io.loopcache/cache")
                print(f"convert_time call {attempt + 1}: {'from cache ' + str(cache) if cache else 'from the server'}")
        if any(tool.name == "git_log" for tool in tools):
            for args in ({"repo_path": repo, "max_count": 3}, {"repo_path": repo + "/", "max_count": 3}):
                result = await session.call_tool("git_log", args)
                cache = (result.meta or {}).get("io.loopcache/cache")
                print(f"git_log {args}: {'from cache ' + str(cache) if cache else 'from the server'}")


if __name__ == "__main__":
    anyio.run(main)
