"""What every resolver gets: the process-wide services and, per request, the caller.

Built by `graphql_api.app` (`get_context` per HTTP request or websocket connection); read by the
resolvers in `graphql_api.schema`, which only translate between GraphQL and these services.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from starlette.requests import Request
from starlette.websockets import WebSocket

from domain.catalog import PlanCatalog
from domain.service import StoreService
from graphql_api.caller import Authentication, Caller
from graphql_api.config import ApiConfig
from graphql_api.errors import ApiError, Code, forbidden, rate_limited, unauthenticated
from graphql_api.live.broadcaster import Broadcaster
from graphql_api.metrics import ApiMetrics
from graphql_api.quota import StoreQuota
from graphql_api.ratelimit import RateLimiter
from graphql_api.tokens import TokenStore
from postgres.threads import Threads
from projections.queries import ReadModel

P = ParamSpec("P")
T = TypeVar("T")

WEBSOCKET_TOO_SLOW = 4008


@dataclass
class ApiServices:
    """Long-lived, one per process; built by the composition root (`graphql_api.server`)."""

    service: StoreService
    read_model: ReadModel
    tokens: TokenStore
    broadcaster: Broadcaster
    quota: StoreQuota
    rate: RateLimiter
    config: ApiConfig
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    # The service is synchronous (psycopg); its calls run in a lane of threads sized for it
    # (`postgres.threads`), so they never queue behind other components' calls.
    threads: Threads = field(init=False)

    def __post_init__(self) -> None:
        self.threads = Threads(self.config.service_threads)

    @property
    def plans(self) -> PlanCatalog:
        return self.service.plans

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Runs a synchronous service method without blocking the event loop."""
        return await self.threads.run(fn, *args, **kwargs)


@dataclass
class ApiContext:
    services: ApiServices
    request: Request | WebSocket
    auth: Authentication
    correlation_id: str = field(default_factory=lambda: f"api-{uuid.uuid4().hex}")
    connection_params: dict[str, Any] = field(default_factory=dict)
    _closing: set[asyncio.Task[None]] = field(default_factory=set)

    def caller(self) -> Caller:
        if self.auth.unavailable:
            raise ApiError(Code.INTERNAL, self.auth.problem)
        if self.auth.caller is None:
            raise unauthenticated(self.auth.problem)
        return self.auth.caller

    def admin(self, action: str) -> Caller:
        caller = self.caller()
        if not caller.admin:
            raise forbidden(action)
        return caller

    def mutating(self) -> Caller:
        """The caller of a mutation, once its token's rate limit lets it through."""
        caller = self.caller()
        wait = self.services.rate.acquire(caller.token_id)
        if wait > 0:
            raise rate_limited(wait)
        return caller

    def close_connection(self, reason: str) -> None:
        """Closes this websocket (if it is one) because a subscriber on it fell too far behind."""
        if isinstance(self.request, WebSocket):
            task = asyncio.create_task(self.request.close(WEBSOCKET_TOO_SLOW, reason[:120]))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
