"""API tokens: created by `storeplane tokens create` and `storeplane up`, checked on every request.

A token reads `sp_<id>_<secret>`. Only the short public id and the SHA-256 of the secret are stored,
so a leaked table grants nothing; the id names the caller in event actors and in `tokens revoke`.
A token may expire (`expires_at`); a revocation is announced with NOTIFY on `storeplane_tokens`,
which every API process hears (`TokenStore.listen`) to forget the token and cut its websockets off.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

import asyncpg

from domain.naming import check_tenant_name
from postgres.schema import apply_ddl, apply_ddl_async

TOKENS_TABLE = "public.storeplane_api_tokens"
_PREFIX = "sp"
_CACHE_LIMIT = 10_000
REVOKED_CHANNEL = "storeplane_tokens"
FIRST_TOKEN_FILE = "first-admin-token"  # noqa: S105 (a file name, not a secret)

log = logging.getLogger(__name__)

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
ALTER TABLE {TOKENS_TABLE} ADD COLUMN IF NOT EXISTS expires_at timestamptz;
CREATE INDEX IF NOT EXISTS storeplane_api_tokens_tenant ON {TOKENS_TABLE} (tenant);
"""

_LIVE = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())"


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    tenant: str
    admin: bool
    label: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None


_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `12h`, `30d`, `2w` or combinations (`1d12h`), for `tokens create --expires-in`."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"not a duration: {text!r} (e.g. 30d, 12h, 15m)")
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError("a token must live for a positive time")
    return timedelta(seconds=seconds)


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
    request a database round trip, and so is a refused one (so a flood of bad tokens costs no
    queries). A revocation is announced to every process at once (NOTIFY); should that be missed
    (a dropped listening connection), the cache still forgets the token within `cache_seconds`."""

    def __init__(self, pool: asyncpg.Pool, *, cache_seconds: float = 5.0) -> None:
        self.pool = pool
        self.cache_seconds = cache_seconds
        self._checked: dict[str, tuple[float, bytes, TokenRecord]] = {}
        self._refused: dict[bytes, float] = {}  # sha256 of the whole token -> until
        self._on_revoked: list[Callable[[str], None]] = []

    async def create(
        self, *, tenant: str, admin: bool = False, label: str = "", expires_in: timedelta | None = None
    ) -> tuple[str, str]:
        """Issues a token; returns (token id, the full token). The token is shown only once."""
        check_tenant_name(tenant)
        if expires_in is not None and expires_in <= timedelta(0):
            raise ValueError("a token must live for a positive time")
        token_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        await self.pool.execute(
            f"INSERT INTO {TOKENS_TABLE} (token_id, secret_sha256, tenant, admin, label, expires_at) "
            "VALUES ($1, $2, $3, $4, $5, now() + $6::interval)",
            token_id, _digest(secret), tenant, admin, label, expires_in,
        )
        return token_id, f"{_PREFIX}_{token_id}_{secret}"

    async def verify(self, token: str) -> TokenRecord | None:
        """The live token record for `token`, or None when it is unknown, malformed, expired or
        revoked."""
        parts = split_token(token)
        if parts is None:
            return None
        now = time.monotonic()
        whole = _digest(token)
        if self._refused.get(whole, 0.0) > now:
            return None
        token_id, secret = parts
        digest = _digest(secret)
        cached = self._checked.get(token_id)
        if cached is not None and cached[0] > now:
            if hmac.compare_digest(cached[1], digest):
                return cached[2]
            self._refuse(whole, now)
            return None
        row = await self.pool.fetchrow(
            f"SELECT *, extract(epoch FROM expires_at - now()) AS left_s FROM {TOKENS_TABLE} "
            f"WHERE token_id = $1 AND {_LIVE}",
            token_id,
        )
        if row is None or not hmac.compare_digest(bytes(row["secret_sha256"]), digest):
            self._refuse(whole, now)
            return None
        record = _record(row)
        if len(self._checked) > _CACHE_LIMIT:
            self._checked.clear()
        ttl = self.cache_seconds if row["left_s"] is None else min(self.cache_seconds, float(row["left_s"]))
        self._checked[token_id] = (now + ttl, digest, record)
        return record

    def cached(self, token: str) -> TokenRecord | None:
        """The token's record when this process checked it good within `cache_seconds`."""
        parts = split_token(token)
        if parts is None:
            return None
        cached = self._checked.get(parts[0])
        if cached is None or cached[0] <= time.monotonic():
            return None
        return cached[2] if hmac.compare_digest(cached[1], _digest(parts[1])) else None

    def _refuse(self, whole: bytes, now: float) -> None:
        if len(self._refused) > _CACHE_LIMIT:
            self._refused = {k: v for k, v in self._refused.items() if v > now}
            if len(self._refused) > _CACHE_LIMIT:
                self._refused.clear()
        self._refused[whole] = now + self.cache_seconds

    async def tokens(self, tenant: str | None = None) -> list[TokenRecord]:
        rows = await self.pool.fetch(
            f"SELECT * FROM {TOKENS_TABLE} WHERE ($1::text IS NULL OR tenant = $1) ORDER BY created_at",
            tenant,
        )
        return [_record(r) for r in rows]

    async def revoke(self, token_id: str) -> bool:
        """Revokes the token and announces it, in one transaction, to every API process."""
        self.forget(token_id)
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                f"UPDATE {TOKENS_TABLE} SET revoked_at = now() WHERE token_id = $1 AND revoked_at IS NULL",
                token_id,
            )
            revoked = bool(status.endswith(" 1"))
            if revoked:
                await conn.execute("SELECT pg_notify($1, $2)", REVOKED_CHANNEL, token_id)
        return revoked

    def forget(self, token_id: str) -> None:
        """Drops the token from the cache and tells the subscribers of revocations (sockets)."""
        self._checked.pop(token_id, None)
        for callback in self._on_revoked:
            callback(token_id)

    def on_revoked(self, callback: Callable[[str], None]) -> None:
        self._on_revoked.append(callback)

    async def listen(self, stop: asyncio.Event, *, retry_seconds: float = 1.0) -> None:
        """Hears revocations announced by any process until `stop`; reconnects after a failure,
        forgetting every cached token then (announcements may have been missed meanwhile)."""
        while not stop.is_set():
            try:
                async with self.pool.acquire() as conn:
                    def heard(_: object, __: int, ___: str, payload: object) -> None:
                        self.forget(str(payload))

                    await conn.add_listener(REVOKED_CHANNEL, heard)
                    try:
                        await _wait_while_alive(conn, stop)
                    finally:
                        with contextlib.suppress(Exception):
                            await conn.remove_listener(REVOKED_CHANNEL, heard)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.warning("the token revocation listener lost its connection; reconnecting")
            self._checked.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), retry_seconds)

    async def has_admin(self) -> bool:
        value = await self.pool.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {TOKENS_TABLE} WHERE admin AND {_LIVE})"
        )
        return bool(value)


async def _wait_while_alive(conn: asyncpg.pool.PoolConnectionProxy, stop: asyncio.Event) -> None:
    """Returns when `stop` is set; raises when the connection dies (checked every few seconds)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 5.0)
        if not stop.is_set():
            await conn.fetchval("SELECT 1")


def deliver_first_token(token: str, data_dir: Path, *, out: TextIO | None = None) -> str:
    """Hands the first admin token to the operator without putting it in a log.

    On a terminal it is printed; otherwise (a service's captured output, a CI log) it is written
    to `<data_dir>/secrets/first-admin-token` (0600, directory 0700) and only that path is printed.
    Returns the line to print (for `storeplane up`)."""
    stream = out if out is not None else sys.stdout
    if stream.isatty():
        return f"storeplane: first start; this admin token is shown once:\n    {token}"
    directory = data_dir / "secrets"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)
    path = directory / FIRST_TOKEN_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as written:
        written.write(token + "\n")
    return f"storeplane: first start; the admin token is in {path} (readable by you only)"


def _record(row: asyncpg.Record) -> TokenRecord:
    return TokenRecord(
        token_id=row["token_id"], tenant=row["tenant"], admin=row["admin"], label=row["label"],
        created_at=row["created_at"], revoked_at=row["revoked_at"], expires_at=row["expires_at"],
    )
