"""The ASGI app: `/graphql` (HTTP and websockets), `/healthz`, `/readyz`, `/metrics`, and the
dashboard's built files (`web/dist`) at `/`.

Built by `graphql_api.server` from the process's `ApiServices`; each request gets an `ApiContext`
with the caller read from its bearer token (HTTP header, or the websocket `connection_init`).

The door, in order: the body size (bodylimit.py), then, before the token is looked up, the raw
document's limits (admission.py) and the GET rules; then the caller. A websocket must name a good
token in `connection_init` within the init timeout or is closed (4401 none, 4403 bad, 4408 late),
counts against its address's and its token's caps (4429), and is closed 4403 when its token is
revoked (NOTIFY, any process) or found expired or revoked when checked again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from cross_web import HTTPException
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from graphql_api.admission import check_document, check_values
from graphql_api.bodylimit import BodySizeLimit
from graphql_api.caller import Authentication, authenticate, bearer, token_from_params
from graphql_api.context import ApiContext, ApiServices
from graphql_api.errors import ApiError, Code, invalid, unauthenticated
from graphql_api.extensions import document_limits
from graphql_api.headers import SecurityHeaders
from graphql_api.live.direct_socket import RawSend
from graphql_api.live.operation import TransportWSHandler, WSHandler
from graphql_api.live.shared_results import SharedResults
from graphql_api.readiness import quarantined, readiness
from graphql_api.schema.root import build_schema
from graphql_api.sessions import (
    CLOSE_FORBIDDEN,
    CLOSE_INIT_TIMEOUT,
    CLOSE_TOO_MANY,
    CLOSE_UNAUTHORIZED,
)
from postgres.errors import DATABASE_ERRORS

log = logging.getLogger(__name__)

_CORRELATION_HEADER = "x-correlation-id"
DASHBOARD_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"


class _WebSocketAdapter(ASGIWebSocketAdapter):
    async def send_json(self, message: Mapping[str, object]) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return  # we closed it (a dropped subscriber): messages still in flight have nowhere to go
        view = cast(StoreplaneGraphQL, self.view)
        try:  # a pushed result shared by many subscribers is serialised once (shared_results)
            await self.ws.send_text(view.shared.encode_message(message))
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state != WebSocketState.DISCONNECTED:  # we may have closed it first
            await self.ws.close(code=code, reason=reason)


def _refusal(error: ApiError, status: int) -> Response:
    error_body = {"message": error.message, "extensions": error.extensions}
    return JSONResponse({"data": None, "errors": [error_body]}, status_code=status)


def _client_address(request: Request | WebSocket) -> str:
    return request.client.host if request.client else ""


class StoreplaneGraphQL(GraphQL[ApiContext, None]):
    websocket_adapter_class = _WebSocketAdapter
    # They name each operation for its resolver, which then pushes live results itself (live/push.py).
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = WSHandler

    def __init__(self, services: ApiServices) -> None:
        config = services.config
        self.shared = SharedResults()
        super().__init__(
            build_schema(config, services.metrics, self.shared),
            graphql_ide="graphiql" if config.dev else None,
            keep_alive=True,
            keep_alive_interval=15,
            connection_init_wait_timeout=timedelta(seconds=config.ws_init_timeout_seconds),
        )
        self.services = services
        self.limits = document_limits(config)

    async def run(
        self, request: Request | WebSocket, context: ApiContext | UnsetType = UNSET,
        root_value: Any = UNSET,
    ) -> Any:
        if isinstance(request, WebSocket):
            return await self._run_websocket(request)
        refusal = await self._admit(request)
        if refusal is not None:
            return refusal
        try:
            return await super().run(request, cast(ApiContext, context), root_value)
        except HTTPException as error:  # strawberry's own refusals, typed like every other error
            return _refusal(invalid("body", error.reason), error.status_code)

    async def _admit(self, request: Request) -> Response | None:
        """The checks made before the token is looked up or the document parsed (bounded work)."""
        config = self.services.config
        if request.method == "GET":
            if len(request.scope.get("query_string", b"")) > config.max_get_query_bytes:
                too_long = f"a GET query string is limited to {config.max_get_query_bytes} bytes; use POST"
                return _refusal(invalid("query", too_long), 414)
            query: object = request.query_params.get("query")
        elif request.method == "POST" and "json" in request.headers.get("content-type", ""):
            try:
                data = json.loads(await request.body())
            except (ValueError, UnicodeDecodeError):
                return _refusal(invalid("body", "the body is not JSON"), 400)
            if not isinstance(data, dict):
                return _refusal(invalid("body", "the body must be one JSON object (no batches)"), 400)
            query = data.get("query")
            if not isinstance(query, (str, type(None))):
                return _refusal(invalid("query", "query must be a string"), 400)
            for name in ("variables", "extensions"):
                if not isinstance(data.get(name), (dict, type(None))):
                    return _refusal(invalid(name, f"{name} must be an object"), 400)
            unstorable = check_values(data.get("variables"))
            if unstorable is not None:
                return _refusal(unstorable, 400)
            if not isinstance(data.get("operationName"), (str, type(None))):
                return _refusal(invalid("operationName", "operationName must be a string"), 400)
        else:
            return None  # strawberry refuses it (typed, in run)
        if isinstance(query, str):
            refusal = check_document(query, self.limits)
            if refusal is not None:
                return _refusal(refusal, 400)
        return None

    async def get_context(self, request: Request | WebSocket, response: Any) -> ApiContext:
        token = bearer(request.headers.get("authorization"))
        auth = await self._authenticate(request, token)
        context = ApiContext(services=self.services, request=request, auth=auth, token=token)
        correlation = request.headers.get(_CORRELATION_HEADER)
        if correlation is not None:
            # Taken as sent: a command validates it (`domain.text.check_correlation_id`) and refuses
            # a bad one with VALIDATION_FAILED rather than quietly using another id.
            context.correlation_id = correlation
        return context

    async def _authenticate(self, request: Request | WebSocket, token: str | None) -> Authentication:
        services = self.services
        return await authenticate(
            services.tokens, token, failures=services.auth_failures, address=_client_address(request)
        )

    async def pick_websocket_subprotocol(self, request: WebSocket) -> str | None:
        chosen = await super().pick_websocket_subprotocol(request)
        request.state.subprotocol = chosen
        return chosen

    async def _run_websocket(self, ws: WebSocket) -> Any:
        """A websocket for as long as it lives: its address's cap and the init timeout (both
        protocols: graphql-ws has none of its own). Its token is checked again every
        `token_cache_seconds` by the process's one `Sessions.recheck`, not by a task per socket."""
        sessions = self.services.sessions
        address = _client_address(ws)
        if not sessions.join_address(address):
            await ws.close(CLOSE_TOO_MANY, "too many websockets from this address")
            return None
        context = await self.get_context(ws, response=ws)
        init_timeout = asyncio.get_running_loop().call_later(  # a timer: no task per socket
            self.services.config.ws_init_timeout_seconds, self._init_timed_out, ws
        )
        try:
            return await super().run(ws, context)
        finally:
            init_timeout.cancel()
            sessions.leave_address(address)
            if context.auth.caller is not None:
                sessions.leave_token(context.auth.caller.token_id, id(ws))

    def _init_timed_out(self, ws: WebSocket) -> None:
        if not getattr(ws.state, "initialised", False):
            self.services.sessions.spawn(
                _close(ws, CLOSE_INIT_TIMEOUT, "connection_init was not received in time")
            )

    async def on_ws_connect(self, context: ApiContext) -> UnsetType | dict[str, object] | None:
        """Checks the token of `connection_init`: none closes the socket 4401, a bad one 4403, one
        over its cap of sockets 4429; the refusal is also sent as `connection_error` (graphql-ws)."""
        ws = context.request
        assert isinstance(ws, WebSocket)
        token = token_from_params(context.connection_params or {})
        if token is None and context.auth.caller is None:
            await _reject(ws, CLOSE_UNAUTHORIZED, unauthenticated("connection_init must carry a token"))
        if token is not None:
            context.token = token
            context.auth = await self._authenticate(ws, token)
        caller = context.auth.caller
        if caller is None:
            code = Code.INTERNAL if context.auth.unavailable else Code.UNAUTHENTICATED
            await _reject(ws, CLOSE_FORBIDDEN if code == Code.UNAUTHENTICATED else 1011,
                          ApiError(code, context.auth.problem))
        assert caller is not None
        close = functools.partial(_close, ws)
        assert context.token is not None  # a caller comes from a token: the header's or this one
        if not self.services.sessions.join_token(caller.token_id, id(ws), close, context.token):
            too_many = ApiError(Code.RATE_LIMITED, "too many websockets for this token")
            await _reject(ws, CLOSE_TOO_MANY, too_many)
        ws.state.initialised = True
        unset: UnsetType = UNSET
        return unset


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    if ws.application_state != WebSocketState.DISCONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await ws.close(code, reason[:120])


async def _reject(ws: WebSocket, code: int, error: ApiError) -> None:
    """Closes the socket with `code` and stops the protocol handler (which then closes nothing)."""
    if getattr(ws.state, "subprotocol", None) == GRAPHQL_WS_PROTOCOL:
        payload = {"message": error.message, "extensions": error.extensions}
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await ws.send_text(json.dumps({"type": "connection_error", "payload": payload}))
    ws.state.initialised = True  # answered: the init timeout has nothing left to do
    await _close(ws, code, error.message)
    raise ConnectionRejectionError


def _health(_: Request) -> Response:
    return PlainTextResponse("ok\n")


def _ready(services: ApiServices) -> Any:
    async def ready(_: Request) -> Response:
        answer = await readiness(services)
        return JSONResponse(answer.body, status_code=200 if answer.ready else 503)

    return ready


def _metrics(services: ApiServices) -> Any:
    async def metrics(request: Request) -> Response:
        if services.config.metrics_require_token:  # STOREPLANE_METRICS_REQUIRE_TOKEN: admins only
            auth = await authenticate(services.tokens, bearer(request.headers.get("authorization")))
            if auth.caller is None or not auth.caller.admin:
                return PlainTextResponse("an admin bearer token is required\n", status_code=401,
                                         headers={"WWW-Authenticate": "Bearer"})
        with contextlib.suppress(*DATABASE_ERRORS):  # the other metrics are worth serving anyway
            await quarantined(services)
        return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


def create_app(services: ApiServices, dashboard: Path | None = DASHBOARD_DIST) -> ASGIApp:
    graphql = StoreplaneGraphQL(services)
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", _health),
        Route("/readyz", _ready(services)),
        Route("/metrics", _metrics(services)),
    ]
    if dashboard is not None and (dashboard / "index.html").is_file():
        routes.append(Mount("/", StaticFiles(directory=dashboard, html=True), name="dashboard"))
    else:
        log.warning("no dashboard at %s (build it with web/scripts/build.sh); serving the API only",
                    dashboard)
    app = Starlette(routes=routes)
    http = SecurityHeaders(BodySizeLimit(app, max_bytes=services.config.max_body_bytes))
    # RawSend outermost: live pushes write to uvicorn's own socket (live/direct_socket.py).
    return RawSend(LiveSocketsFirst(graphql, http))


class LiveSocketsFirst:
    """Hands `/graphql` websockets to the GraphQL app itself, everything else to `app`.

    A websocket's ASGI call lasts as long as the socket, and each layer it passes keeps its
    coroutine frame (and Starlette's exception middleware a wrapped `send`) for all that time: about
    4 KiB per idle subscription through Starlette, its router and our two HTTP-only middlewares,
    which pass websockets through unchanged anyway. Strawberry's app handles a websocket scope on
    its own; another websocket path still reaches Starlette, which refuses it."""

    def __init__(self, graphql: ASGIApp, app: ASGIApp) -> None:
        self.graphql = graphql
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/graphql":
            return await self.graphql(scope, receive, send)
        return await self.app(scope, receive, send)
