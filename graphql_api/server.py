"""Serving the API: builds its services on a pool and runs uvicorn with the broadcaster until stopped.

Used by `storeplane api` and `storeplane up` (as one supervised root task) and by the tests. Signals
are the composition root's job (`storeplane.platform`), so uvicorn's own signal handling is switched off.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import uvicorn

from domain.service import StoreService
from graphql_api.app import DASHBOARD_DIST, create_app
from graphql_api.caller import authenticate
from graphql_api.config import ApiConfig
from graphql_api.context import ApiServices
from graphql_api.credentials import CredentialsSource
from graphql_api.live.broadcaster import Broadcaster
from graphql_api.live.collector import tune_for_live_sockets
from graphql_api.live.socket_protocol import LeanWebSocketProtocol
from graphql_api.metrics import ApiMetrics
from graphql_api.quota import StoreQuota
from graphql_api.ratelimit import SharedRateLimiter
from graphql_api.ratelimit import ensure_schema as ensure_rate_schema
from graphql_api.tokens import TokenStore, ensure_schema
from projections.queries import ReadModel

log = logging.getLogger(__name__)


def build_services(
    *, database_url: str, pool: asyncpg.Pool, service: StoreService, config: ApiConfig,
    credentials: CredentialsSource | None = None, request_pool: asyncpg.Pool | None = None,
) -> ApiServices:
    """`request_pool` (default `pool`) carries the statements of each request: read-model queries,
    the quota's count and the rate buckets (`storeplane.database.StatelessConnection`); `pool`
    the token store, which LISTENs for revocations on it."""
    request = request_pool or pool
    read_model = ReadModel(request)
    metrics = ApiMetrics()
    return ApiServices(
        service=service,
        read_model=read_model,
        tokens=TokenStore(pool, cache_seconds=config.token_cache_seconds),
        broadcaster=Broadcaster(
            database_url, read_model, max_batches=config.subscriber_queue_batches,
            poll_interval=config.live_poll_seconds, on_event=metrics.live_event,
        ),
        quota=StoreQuota(request, max_live_stores=config.max_live_stores),
        limiter=SharedRateLimiter(request),
        config=config,
        metrics=metrics,
        credentials=credentials,
    )


async def token_still_good(tokens: TokenStore, token: str) -> bool:
    """False only when the token is known bad now (expired, revoked); a database that cannot
    answer keeps the sockets open, as a failed check always has."""
    auth = await authenticate(tokens, token)
    return auth.caller is not None or auth.unavailable


async def first_admin_token(tokens: TokenStore) -> str | None:
    """A new admin token when none exists yet (the first start), else None."""
    if await tokens.has_admin():
        return None
    _, token = await tokens.create(tenant="admin", admin=True, label="first start")
    return token


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # storeplane.platform owns SIGINT/SIGTERM and sets the stop event


@dataclass
class ApiServer:
    services: ApiServices
    host: str = "127.0.0.1"
    port: int = 8080
    sock: socket.socket | None = None  # a bound socket (tests bind port 0 and read the port back)
    dashboard: Path | None = DASHBOARD_DIST  # the built dashboard served at /
    # Set by the process's composition root (storeplane.platform), never by an embedding test:
    # the collector's settings are the whole process's (live/collector.py).
    tune_collector: bool = False

    async def run(self, stop: asyncio.Event) -> None:
        """Serves until `stop` is set; the broadcaster runs beside uvicorn in one task group, and the
        first to fail takes the other down."""
        await ensure_schema(self.services.read_model.pool)
        await ensure_rate_schema(self.services.read_model.pool)
        config = uvicorn.Config(
            create_app(self.services, self.dashboard), host=self.host, port=self.port, log_level="warning",
            ws_max_size=self.services.config.max_body_bytes, lifespan="off",
            # Pushes are small and the same text goes to many sockets: compressing each copy with its
            # socket's own deflate context cost more CPU per delivery than it saved in bytes.
            ws_per_message_deflate=False,
            # uvicorn's websockets-sansio protocol (the one live pushes write to directly, live/push.py),
            # keeping less for each open socket (live/socket_protocol.py).
            ws=LeanWebSocketProtocol,
        )
        server = _Server(config)
        if self.tune_collector:
            tune_for_live_sockets()  # after the app is built: its objects are start-up's, frozen
        async with asyncio.TaskGroup() as group:
            group.create_task(self.services.broadcaster.run(stop), name="broadcaster")
            group.create_task(self.services.tokens.listen(stop), name="token-revocations")
            group.create_task(self.services.sessions.recheck(
                functools.partial(token_still_good, self.services.tokens),
                every=self.services.config.token_cache_seconds, stop=stop,
            ), name="token-recheck")
            serving = group.create_task(
                server.serve([self.sock] if self.sock else None), name="uvicorn"
            )
            serving.add_done_callback(lambda _: stop.set())  # uvicorn ended: so does the API
            await stop.wait()
            server.should_exit = True
