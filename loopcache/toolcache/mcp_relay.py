"""What the MCP proxy relays back, from the real server to its client: notifications and requests.

    real server --notification--> relay.message_handler --> client   (list_changed, logging, resource
                                                                      updated, elicitation complete)
    real server --sampling/createMessage, elicitation/create, roots/list--> relay --> client --> back
    client --notifications/roots/list_changed--> proxy --> real server

Progress is not relayed here: the proxy passes each forwarded request's progress on to the request that
asked for it (`report_progress`), so tokens never cross connections.

The relay reaches the client through the client connection's standalone channel, known from the first
request the client sends (`capture`, a server middleware, sees `initialize`). Until then notifications are
dropped (the client lists everything after initialising anyway) and requests are answered with an error.
A request the client did not declare the capability for is refused here, as the client would.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mcp import types
from mcp.client.session import ClientRequestContext
from mcp.server.session import ServerSession
from mcp.shared.exceptions import MCPError

logger = logging.getLogger(__name__)


class DownstreamRelay:
    """Relays the upstream server's notifications and server-to-client requests to the proxy's client.

    Pass its methods as the upstream `ClientSession`'s `message_handler`, `sampling_callback`,
    `elicitation_callback` and `list_roots_callback`, and `capture` as a middleware of the proxy's server.
    `on_tools_changed` runs when the upstream's tool list changes (the proxy re-reads tool annotations).
    """

    def __init__(self, on_tools_changed: Callable[[], None] | None = None) -> None:
        self.on_tools_changed = on_tools_changed
        self._client: ServerSession | None = None

    @property
    def connected(self) -> bool:
        return self._client is not None

    async def capture(self, ctx: Any, call_next: Callable[[Any], Any]) -> Any:
        """Server middleware: remember the client connection, then handle the request as usual."""
        if self._client is None:
            self._client = ctx.session
        return await call_next(ctx)

    async def message_handler(self, message: types.ServerNotification | Exception) -> None:
        if isinstance(message, Exception):
            logger.warning("upstream MCP server connection: %s", message)
            return
        if isinstance(message, types.ProgressNotification):
            return  # progress of a forwarded request reaches its caller through report_progress
        if isinstance(message, types.ToolListChangedNotification) and self.on_tools_changed is not None:
            self.on_tools_changed()
        if self._client is None:
            logger.debug("dropped %s: no client connected yet", type(message).__name__)
            return
        try:
            await self._client.send_notification(message)
        except Exception as error:  # a closing client: nothing to relay to
            logger.debug("could not relay %s: %s", type(message).__name__, error)

    async def sampling(self, context: ClientRequestContext,
                       params: types.CreateMessageRequestParams) -> types.CreateMessageResult | types.ErrorData:
        result_type = types.CreateMessageResultWithTools if params.tools or params.tool_choice else types.CreateMessageResult
        return await self._ask(types.ClientCapabilities(sampling=types.SamplingCapability()), "sampling",
                               types.CreateMessageRequest(params=params), result_type)

    async def elicitation(self, context: ClientRequestContext,
                          params: types.ElicitRequestParams) -> types.ElicitResult | types.ErrorData:
        return await self._ask(types.ClientCapabilities(elicitation=types.ElicitationCapability()), "elicitation",
                               types.ElicitRequest(params=params), types.ElicitResult)

    async def list_roots(self, context: ClientRequestContext) -> types.ListRootsResult | types.ErrorData:
        return await self._ask(types.ClientCapabilities(roots=types.RootsCapability()), "roots",
                               types.ListRootsRequest(), types.ListRootsResult)

    async def _ask(self, capability: types.ClientCapabilities, what: str, request: Any, result_type: type) -> Any:
        client = self._client
        if client is None:
            return types.ErrorData(code=types.INVALID_REQUEST, message=f"{what}: no client connected to the proxy")
        if not client.check_client_capability(capability):
            return types.ErrorData(code=types.INVALID_REQUEST, message=f"{what} not supported by the client")
        try:
            return await client.send_request(request, result_type)
        except MCPError as error:
            return types.ErrorData(code=error.code, message=error.message, data=error.data)
