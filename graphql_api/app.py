"""The ASGI app: `/graphql` (HTTP and websockets), `/healthz`, `/readyz`, `/metrics`, and the
dashboard's built files (`web/dist`) at `/`.

Built by `graphql_api.server` from the process's `ApiServices`; each request gets an `ApiContext`
with the caller read from its bearer token (HTTP header, or the websocket `connection_init`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types.unset import UNSET, UnsetType

from graphql_api.bodylimit import BodySizeLimit
from graphql_api.caller import authenticate, bearer, token_from_params
from graphql_api.context import ApiContext, ApiServices
from graphql_api.live.shared_results import SharedResults
from graphql_api.readiness import quarantined, readiness
from graphql_api.schema.root import build_schema
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


class StoreplaneGraphQL(GraphQL[ApiContext, None]):
    websocket_adapter_class = _WebSocketAdapter

    def __init__(self, services: ApiServices) -> None:
        config = services.config
        self.shared = SharedResults()
        super().__init__(
            build_schema(config, services.metrics, self.shared),
            graphql_ide="graphiql" if config.dev else None,
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.services = services

    async def get_context(self, request: Request | WebSocket, response: Any) -> ApiContext:
        auth = await authenticate(self.services.tokens, bearer(request.headers.get("authorization")))
        context = ApiContext(services=self.services, request=request, auth=auth)
        correlation = request.headers.get(_CORRELATION_HEADER)
        if correlation is not None:
            # Taken as sent: a command validates it (`domain.text.check_correlation_id`) and refuses
            # a bad one with VALIDATION_FAILED rather than quietly using another id.
            context.correlation_id = correlation
        return context

    async def on_ws_connect(self, context: ApiContext) -> UnsetType | dict[str, object] | None:
        """Reads the token of `connection_init`; an unknown token fails each operation, not the socket."""
        token = token_from_params(context.connection_params)
        if token is not None:
            context.auth = await authenticate(self.services.tokens, token)
        unset: UnsetType = UNSET
        return unset


def _health(_: Request) -> Response:
    return PlainTextResponse("ok\n")


def _ready(services: ApiServices) -> Any:
    async def ready(_: Request) -> Response:
        answer = await readiness(services)
        return JSONResponse(answer.body, status_code=200 if answer.ready else 503)

    return ready


def _metrics(services: ApiServices) -> Any:
    async def metrics(_: Request) -> Response:
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
    return BodySizeLimit(app, max_bytes=services.config.max_body_bytes)
