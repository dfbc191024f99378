"""API tokens: created by `storeplane tokens create` and `storeplane up`, checked on every request.

A token reads `sp_<id>_<secret>`. Only the short public id and the SHA-256 of the secret are stored,
so a leaked table grants nothing; the id names the caller in event actors and in `tokens revoke`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.naming import check_tenant_name
from postgres.schema import apply_ddl, apply_ddl_async

TOKENS_TABLE = "public.storeplane_api_tokens"
_PREFIX = "sp"
_CACHE_LIMIT = 10_000

DDL = f"""
CREATE TABLE IF NOT EXISTS {TOKENS_TABLE} (
    token_id text PRIMARY KEY,
    secret_sha256 bytea NOT NULL,
    tenant text NOT NULL,
    admin boolean NOT NULL,
    label text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS storeplane_api_tokens_tenant ON {TOKENS_TABLE} (tenant);
"""


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    tenant: str
    admin: bool
    label: str
    created_at: datetime
    revoked_at: datetime | None


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def split_token(token: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed token, or None."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != _PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


async def ensure_schema(pool: asyncpg.Pool) -> None:
    """Creates the token table if missing; concurrent first starts wait for each other."""
    await apply_ddl_async(pool, DDL)


def ensure_schema_sync(url: str) -> None:
    """The same as `ensure_schema`, without an event loop (psycopg)."""
    apply_ddl(url, [DDL])


class TokenStore:
    """Issues and checks tokens. A checked token is remembered for `cache_seconds`, sparing every
    request a database round trip; a revocation through another process therefore takes effect
    within that time (through this store, at once)."""

    def __init__(self, pool: asyncpg.Pool, *, cache_seconds: float = 5.0) -> None:
        self.pool = pool
        self.cache_seconds = cache_seconds
        self._checked: dict[str, tuple[float, bytes, TokenRecord]] = {}

    async def create(self, *, tenant: str, admin: bool = False, label: str = "") -> tuple[str, str]:
        """Issues a token; returns (token id, the full token). The token is shown only once."""
        check_tenant_name(tenant)
        token_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        await self.pool.execute(
            f"INSERT INTO {TOKENS_TABLE} (token_id, secret_sha256, tenant, admin, label) "
            "VALUES ($1, $2, $3, $4, $5)",
            token_id, _digest(secret), tenant, admin, label,
        )
        return token_id, f"{_PREFIX}_{token_id}_{secret}"

    async def verify(self, token: str) -> TokenRecord | None:
        """The live token record for `token`, or None when it is unknown, malformed or revoked."""
        parts = split_token(token)
        if parts is None:
            return None
        token_id, secret = parts
        digest = _digest(secret)
        cached = self._checked.get(token_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[2] if hmac.compare_digest(cached[1], digest) else None
        row = await self.pool.fetchrow(
            f"SELECT * FROM {TOKENS_TABLE} WHERE token_id = $1 AND revoked_at IS NULL", token_id
        )
        if row is None or not hmac.compare_digest(bytes(row["secret_sha256"]), digest):
            return None
        record = _record(row)
        if len(self._checked) > _CACHE_LIMIT:
            self._checked.clear()
        self._checked[token_id] = (time.monotonic() + self.cache_seconds, digest, record)
        return record

    async def tokens(self, tenant: str | None = None) -> list[TokenRecord]:
        rows = await self.pool.fetch(
            f"SELECT * FROM {TOKENS_TABLE} WHERE ($1::text IS NULL OR tenant = $1) ORDER BY created_at",
            tenant,
        )
        return [_record(r) for r in rows]

    async def revoke(self, token_id: str) -> bool:
        self._checked.pop(token_id, None)
        status = await self.pool.execute(
            f"UPDATE {TOKENS_TABLE} SET revoked_at = now() WHERE token_id = $1 AND revoked_at IS NULL",
            token_id,
        )
        return bool(status.endswith(" 1"))

    async def has_admin(self) -> bool:
        value = await self.pool.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {TOKENS_TABLE} WHERE admin AND revoked_at IS NULL)"
        )
        return bool(value)


def _record(row: asyncpg.Record) -> TokenRecord:
    return TokenRecord(
        token_id=row["token_id"], tenant=row["tenant"], admin=row["admin"], label=row["label"],
        created_at=row["created_at"], revoked_at=row["revoked_at"],
    )
