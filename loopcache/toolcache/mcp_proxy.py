"""The MCP caching proxy: a stdio MCP server in front of a real one, answering read-only tool calls from cache.

    MCP client  <--stdio-->  proxy (mcp Server)  <--stdio-->  real MCP server (a child process)
                              tools/call: ToolCache.lookup -> hit: the stored result
                                                           -> miss: forward, store if read-only
                              tools/list, resources/list|templates/list|read|subscribe|unsubscribe,
                              prompts/list|get, completion/complete, logging/setLevel: forwarded unchanged
                              (when the real server offers them); progress of every forwarded request is
                              passed back to the request that asked for it
                  <----------  notifications (list_changed, logging, resource updated) and server-to-client
                               requests (sampling, elicitation, roots) relayed back: mcp_relay.py
                  ---------->  notifications/roots/list_changed relayed to the real server

A tool is read-only when the real server says so (`annotations.readOnlyHint`) or the config says so;
other tools always reach the server and invalidate (by default: every cached entry). When the real server
says its tool list changed, the proxy reads the tools again before the next call. A result served from
cache carries `_meta["io.loopcache/cache"] = {"stage": "exact"|"semantic", "similarity": ...}`.
The `mcp` SDK is imported here, not by the rest of the package.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client, types
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.stdio import stdio_server

from loopcache.toolcache.aliases import with_aliases
from loopcache.toolcache.cache import ToolCache
from loopcache.toolcache.mcp_relay import DownstreamRelay
from loopcache.toolcache.proxy_config import ProxyConfig, ToolOverride
from loopcache.toolcache.spec import Scope, with_formats

logger = logging.getLogger(__name__)
META_KEY = "io.loopcache/cache"


class McpCachingProxy:
    """The proxy's request handlers over one upstream `ClientSession` (already initialised)."""

    def __init__(self, upstream: ClientSession, cache: ToolCache, config: ProxyConfig, session_id: str) -> None:
        self.upstream = upstream
        self.cache = cache
        self.config = config
        self.session_id = session_id
        self._tools_known = False

    def forget_tools(self) -> None:
        """The upstream's tool list changed: read it (and its annotations) again before the next call."""
        self._tools_known = False

    # -- tools --------------------------------------------------------------------------------------------

    async def list_tools(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        result = await self.upstream.list_tools(params=params)
        self._register(result.tools)
        return result

    async def call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> Any:
        await self._ensure_tools()
        name, args = params.name, dict(params.arguments or {})
        lookup = await anyio.to_thread.run_sync(self.cache.lookup, name, args, self.session_id)
        logger.info("tools/call %s: %s%s", name, lookup.stage.value, f" ({lookup.reason})" if lookup.reason else "")
        if lookup.entry is not None:
            result = types.CallToolResult.model_validate(lookup.entry.result)
            meta = dict(result.meta or {})
            meta[META_KEY] = {"stage": lookup.stage.value, "similarity": lookup.similarity}
            return result.model_copy(update={"meta": meta})
        started = time.perf_counter()
        result = await self.upstream.call_tool(name, args, progress_callback=_progress_to(ctx),
                                               allow_input_required=True)
        elapsed = time.perf_counter() - started
        if not isinstance(result, types.CallToolResult):
            return result  # input required: a conversation, not a result to cache
        stored = result.model_dump(mode="json", by_alias=True, exclude_none=True)
        # stores a read-only result; applies a side-effecting call's invalidations
        await anyio.to_thread.run_sync(self.cache.complete, lookup, args, self.session_id, stored, elapsed,
                                       bool(result.is_error))
        return result

    async def _ensure_tools(self) -> None:
        if self._tools_known:
            return
        cursor = None
        while True:
            page = await self.upstream.list_tools(params=types.PaginatedRequestParams(cursor=cursor))
            self._register(page.tools)
            cursor = page.next_cursor
            if not cursor:
                break

    def _register(self, tools: list[types.Tool]) -> None:
        config = self.config
        for tool in tools:
            override = config.override(tool.name)
            self.cache.register_tool(
                tool,
                _schema_with_overrides(tool, override),
                read_only=override.read_only,
                ttl=(override.ttl or None) if override.ttl is not None else config.ttl,
                semantic=override.semantic if override.semantic is not None else config.semantic and override.infer,
                threshold=override.threshold if override.threshold is not None else config.threshold,
                scope=Scope.NAMESPACE if config.namespace else Scope.SESSION,
                invalidates=override.invalidates,
                cache_errors=config.cache_errors,
                infer=override.infer,
            )
        self._tools_known = True

    # -- everything else: forwarded -----------------------------------------------------------------------

    def _forward(self, request_type: type, result_type: type) -> Callable[[Any, Any], Awaitable[Any]]:
        async def handler(ctx: Any, params: Any) -> Any:
            return await self.upstream.send_request(request_type(params=params), result_type,
                                                    progress_callback=_progress_to(ctx))

        return handler

    async def _roots_changed(self, ctx: Any, params: Any) -> None:
        await self.upstream.send_roots_list_changed()

    def build_server(self, upstream_init: types.InitializeResult, relay: DownstreamRelay) -> Server:
        """An MCP server offering what the upstream offers (tools, resources, prompts, completions, logging),
        relaying the upstream's notifications and requests back through `relay`."""
        caps = upstream_init.capabilities
        handlers: dict[str, Any] = {}
        if caps.tools is not None:
            handlers.update(on_list_tools=self.list_tools, on_call_tool=self.call_tool)
        if caps.resources is not None:
            handlers.update(
                on_list_resources=self._forward(types.ListResourcesRequest, types.ListResourcesResult),
                on_list_resource_templates=self._forward(types.ListResourceTemplatesRequest,
                                                         types.ListResourceTemplatesResult),
                on_read_resource=self._forward(types.ReadResourceRequest, types.ReadResourceResult),
            )
            if caps.resources.subscribe:
                handlers.update(on_subscribe_resource=self._forward(types.SubscribeRequest, types.EmptyResult),
                                on_unsubscribe_resource=self._forward(types.UnsubscribeRequest, types.EmptyResult))
        if caps.prompts is not None:
            handlers.update(
                on_list_prompts=self._forward(types.ListPromptsRequest, types.ListPromptsResult),
                on_get_prompt=self._forward(types.GetPromptRequest, types.GetPromptResult),
            )
        if caps.completions is not None:
            handlers.update(on_completion=self._forward(types.CompleteRequest, types.CompleteResult))
        info = upstream_init.server_info
        app = Server(f"loopcache-proxy/{info.name}", version=info.version or "",
                     instructions=upstream_init.instructions, **handlers)
        if caps.logging is not None:
            app.add_request_handler("logging/setLevel", types.SetLevelRequestParams,
                                    self._forward(types.SetLevelRequest, types.EmptyResult))
        app.add_notification_handler("notifications/roots/list_changed", types.NotificationParams, self._roots_changed)
        app.middleware.insert(0, relay.capture)
        return app


def notification_options(upstream_init: types.InitializeResult) -> NotificationOptions:
    """Announce the list_changed notifications the upstream announces: the relay passes them on."""
    caps = upstream_init.capabilities
    return NotificationOptions(prompts_changed=bool(caps.prompts and caps.prompts.list_changed),
                               resources_changed=bool(caps.resources and caps.resources.list_changed),
                               tools_changed=bool(caps.tools and caps.tools.list_changed))


def _progress_to(ctx: Any) -> Callable[[float, float | None, str | None], Awaitable[None]]:
    """A progress callback for a forwarded request: reports to the client's request (a no-op if it asked
    for no progress)."""
    async def report(progress: float, total: float | None, message: str | None) -> None:
        await ctx.session.report_progress(progress, total, message)

    return report


def _schema_with_overrides(tool: types.Tool, override: ToolOverride) -> dict[str, Any]:
    """The tool's input schema with the config's `formats` and `aliases` for its arguments (config wins)."""
    return with_aliases(with_formats(tool.input_schema or {"type": "object"}, override.formats), override.aliases)


async def serve_proxy(server: StdioServerParameters, cache: ToolCache, config: ProxyConfig,
                      session_id: str) -> None:
    """Start the real server, then serve MCP on this process's stdin/stdout until the client leaves."""
    relay = DownstreamRelay()
    async with stdio_client(server) as (upstream_read, upstream_write):
        async with ClientSession(upstream_read, upstream_write, sampling_callback=relay.sampling,
                                 elicitation_callback=relay.elicitation, list_roots_callback=relay.list_roots,
                                 message_handler=relay.message_handler) as upstream:
            init = await upstream.initialize()
            proxy = McpCachingProxy(upstream, cache, config, session_id)
            relay.on_tools_changed = proxy.forget_tools
            app = proxy.build_server(init, relay)
            async with stdio_server() as (read, write):
                await app.run(read, write, app.create_initialization_options(notification_options(init)))
    stats = cache.stats()
    logger.info("loopcache mcp-proxy: %d exact hits, %d semantic hits, %d misses, %d pass-through calls, "
                "%.3f s saved", stats.exact_hits, stats.semantic_hits, stats.misses, stats.bypassed,
                stats.saved_seconds)
