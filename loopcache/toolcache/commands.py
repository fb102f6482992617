"""CLI commands of the tool cache: `loopcache mcp-proxy [OPTIONS] -- <server command...>`.

Only parsing and wiring live here; imports of the proxy (and the mcp SDK) happen when the command runs.
Nothing but MCP messages is ever written to stdout (it is the protocol channel); logs go to stderr.
"""

from __future__ import annotations

import logging
import shutil
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the tool cache's commands to the `loopcache` CLI."""
    app.command(
        "mcp-proxy",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        help="Run an MCP server behind a caching proxy: `loopcache mcp-proxy -- uvx mcp-server-git`. "
             "Speaks MCP on stdin/stdout; read-only tool calls are answered from cache.",
    )(mcp_proxy)


def mcp_proxy(
    server_command: Annotated[list[str], typer.Argument(help="The command that starts the real MCP server "
                                                             "(after `--`).", show_default=False)],
    config: Annotated[Optional[Path], typer.Option("--config", help="TOML or JSON settings file (see "
                                                   "loopcache/toolcache/proxy_config.py).")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="Folder of the cache database "
                                                      "(default $LOOPCACHE_HOME or ~/.cache/loopcache).")] = None,
    semantic: Annotated[Optional[bool], typer.Option("--semantic/--exact-only", help="Also answer equivalent "
                                                     "calls found by embedding similarity + verify, for "
                                                     "read-only tools (default: exact only).")] = None,
    ttl: Annotated[Optional[float], typer.Option(help="Seconds a cached result lives (default 300; 0: no "
                                                 "expiry).")] = None,
    session: Annotated[Optional[str], typer.Option(help="Session id (default: a new one per run).")] = None,
    namespace: Annotated[Optional[str], typer.Option(help="Share entries across runs under this namespace.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log hits and misses to stderr.")] = False,
) -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not server_command:
        raise typer.BadParameter("give the MCP server command after `--`", param_hint="SERVER_COMMAND")
    if shutil.which(server_command[0]) is None:
        raise typer.BadParameter(f"{server_command[0]!r} is not an executable command", param_hint="SERVER_COMMAND")

    import anyio
    from mcp import StdioServerParameters

    from loopcache.toolcache.cache import ToolCache, default_cache_path
    from loopcache.toolcache.embedder import MiniLMEmbedder
    from loopcache.toolcache.mcp_proxy import serve_proxy
    from loopcache.toolcache.proxy_config import load_proxy_config

    try:
        settings = load_proxy_config(config)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--config") from error
    if semantic is not None:
        settings = replace(settings, semantic=semantic)
    if namespace is not None:
        settings = replace(settings, namespace=namespace)
    if ttl is not None:
        settings = replace(settings, ttl=ttl or None)
    path = (cache_dir / "toolcache.sqlite3") if cache_dir else default_cache_path()
    session_id = session or f"mcp-proxy-{uuid.uuid4().hex[:12]}"
    server = StdioServerParameters(command=server_command[0], args=server_command[1:])
    embedder = MiniLMEmbedder(threads=1)  # this process only embeds single lookups (see embedder.py)
    with ToolCache(path, embedder=embedder, session=session_id, namespace=settings.namespace or "default") as cache:
        anyio.run(serve_proxy, server, cache, settings, session_id)
