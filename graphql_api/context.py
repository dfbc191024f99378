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
from graphql_api.credentials import CredentialsSource
from graphql_api.errors import ApiError, Code, forbidden, rate_limited, unauthenticated
from graphql_api.live.broadcaster import Broadcaster
from graphql_api.loaders import Loaders
from graphql_api.metrics import ApiMetrics
from graphql_api.quota import StoreQuota
from graphql_api.ratelimit import Limit, RateLimiter, SharedRateLimiter
from graphql_api.sessions import Sessions
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
    limiter: SharedRateLimiter  # mutations and query budgets, by tenant, shared by all processes
    config: ApiConfig
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    # Where store credentials are read for a reveal; None: this API has no cluster access.
    credentials: CredentialsSource | None = None
    # The service is synchronous (psycopg); its calls run in a lane of threads sized for it
    # (`postgres.threads`), so they never queue behind other components' calls.
    threads: Threads = field(init=False)
    # Failed authentications by client address, in this process (each failure stays cheap).
    auth_failures: RateLimiter = field(init=False)
    sessions: Sessions = field(init=False)

    def __post_init__(self) -> None:
        self.threads = Threads(self.config.service_threads)
        self.auth_failures = RateLimiter(self.config.auth_failure_rate, self.config.auth_failure_burst)
        self.sessions = Sessions(
            per_token=self.config.max_sockets_per_token, per_address=self.config.max_sockets_per_address
        )
        self.tokens.on_revoked(self.sessions.revoked)

    @property
    def mutation_limit(self) -> Limit:
        return Limit(self.config.mutation_rate_per_second, float(self.config.mutation_burst))

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
    token: str | None = None  # the bearer token read, kept to check it again while a socket lives
    _closing: set[asyncio.Task[None]] = field(default_factory=set)
    _loaders: Loaders | None = None

    @property
    def loaders(self) -> Loaders:
        """Batched reads for this request (made on first use; a websocket's live as long as it)."""
        if self._loaders is None or isinstance(self.request, WebSocket):
            self._loaders = Loaders(self.services.read_model)
        return self._loaders

    def caller(self) -> Caller:
        if self.auth.unavailable:
            raise ApiError(Code.INTERNAL, self.auth.problem)
        if self.auth.retry_after > 0:
            raise rate_limited(self.auth.retry_after, self.auth.problem)
        if self.auth.caller is None:
            raise unauthenticated(self.auth.problem)
        return self.auth.caller

    def admin(self, action: str) -> Caller:
        caller = self.caller()
        if not caller.admin:
            raise forbidden(action)
        return caller

    async def mutating(self) -> Caller:
        """The caller of a mutation, once its tenant's rate limit (shared by every API process)
        lets it through."""
        caller = self.caller()
        services = self.services
        wait = await services.limiter.take(f"mutations:{caller.rate_key}", services.mutation_limit)
        if wait > 0:
            raise rate_limited(wait)
        return caller

    def close_connection(self, reason: str) -> None:
        """Closes this websocket (if it is one) because a subscriber on it fell too far behind."""
        if isinstance(self.request, WebSocket):
            task = asyncio.create_task(self.request.close(WEBSOCKET_TOO_SLOW, reason[:120]))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
