"""Who is calling: a tenant token or an admin token, resolved from the bearer token once per request.

Fed by the `Authorization` header (HTTP) or the `connection_init` payload (websockets); feeds every
resolver's tenancy decision and the actor recorded on each event.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from domain.actors import admin_actor, tenant_actor
from graphql_api.ratelimit import RateLimiter
from graphql_api.tokens import TokenRecord, TokenStore
from postgres.errors import DATABASE_ERRORS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    token_id: str
    tenant: str
    admin: bool

    @property
    def actor(self) -> str:
        return admin_actor(self.token_id) if self.admin else tenant_actor(self.tenant, self.token_id)

    @property
    def rate_key(self) -> str:
        """What rate limits and budgets are kept by: the tenant; an admin token (which may act
        for every tenant) has its own."""
        return f"admin:{self.token_id}" if self.admin else f"tenant:{self.tenant}"

    @property
    def scope(self) -> str | None:
        """The tenant to limit reads and commands to; None for an admin, who sees every tenant."""
        return None if self.admin else self.tenant

    @classmethod
    def from_record(cls, record: TokenRecord) -> Caller:
        return cls(token_id=record.token_id, tenant=record.tenant, admin=record.admin)


@dataclass(frozen=True)
class Authentication:
    """The outcome of reading credentials: a caller, or why there is none (shown to the client)."""

    caller: Caller | None
    problem: str = "a bearer token is required"
    unavailable: bool = False  # the token could not be checked (database down): INTERNAL, not 401
    retry_after: float = 0.0  # too many failed authentications from this address: RATE_LIMITED
    presented: bool = False  # a token was given (and refused): a socket closes 4403, not 4401


def bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def token_from_params(params: Mapping[str, object]) -> str | None:
    """The token of a websocket `connection_init` payload: `authorization` (Bearer …) or `token`."""
    for key in ("authorization", "Authorization"):
        value = params.get(key)
        if isinstance(value, str):
            return bearer(value)
    token = params.get("token")
    return token if isinstance(token, str) and token else None


async def authenticate(
    tokens: TokenStore, token: str | None, *, failures: RateLimiter | None = None, address: str = ""
) -> Authentication:
    """The caller of `token`. With `failures`, a client address that has failed too often is
    refused (RATE_LIMITED) without looking its token up, unless the token is already known good."""
    if token is None:
        return Authentication(None)
    if failures is not None and tokens.cached(token) is None:
        wait = failures.wait(address)
        if wait > 0:
            return Authentication(None, "too many failed authentications from this address",
                                  retry_after=wait, presented=True)
    try:
        record = await tokens.verify(token)
    except DATABASE_ERRORS:
        log.exception("could not check a bearer token")
        return Authentication(None, "the token could not be checked; try again", unavailable=True)
    if record is None:
        if failures is not None:
            failures.acquire(address)
        return Authentication(None, "the bearer token is unknown, expired or revoked", presented=True)
    return Authentication(Caller.from_record(record))
