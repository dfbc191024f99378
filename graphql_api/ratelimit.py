"""Rate limits: token buckets kept in PostgreSQL, shared by every API process, keyed by tenant.

Fed by the mutation resolvers (one token a mutation, keyed by the caller's tenant) and by the
`QueryGuard` extension (each query's estimated cost, against the tenant's query budget); a refusal
becomes RATE_LIMITED with the seconds to wait. Why PostgreSQL and not a library: the buckets must
be one per tenant across every API process, PostgreSQL is already there and already shared, and a
bucket is one row updated in one atomic statement (an upsert that refills by the time elapsed on
the server's clock and takes the cost if it is there), so no process keeps its own allowance.

The table is UNLOGGED: a bucket is no fact anyone must find again after a crash (PostgreSQL then
empties the table, and every tenant starts with a full bucket), so its updates write no WAL and
their commits wait for no flush. Before, every mutation and every query paid one more synchronous
fsync for its bucket than for what it did (issue 17); the events stay as durable as they were.

`TokenBucket` (in memory) stays for limits that are about one process's own work, such as failed
authentications per client address (which must stay cheap: a database round trip each would not).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg

from postgres.schema import apply_ddl_async

BUCKETS_TABLE = "public.storeplane_rate_buckets"
DDL = f"""
CREATE UNLOGGED TABLE IF NOT EXISTS {BUCKETS_TABLE} (
    key text PRIMARY KEY,
    tokens double precision NOT NULL,
    updated timestamptz NOT NULL,
    granted boolean NOT NULL
);
DO $$ BEGIN  -- made by an older storeplane as a logged table: switched once (a rewrite of a few rows)
    IF (SELECT relpersistence FROM pg_class WHERE oid = '{BUCKETS_TABLE}'::regclass) = 'p' THEN
        ALTER TABLE {BUCKETS_TABLE} SET UNLOGGED;
    END IF;
END $$;
"""

# $1 key, $2 capacity, $3 refill per second, $4 cost. The SET expressions all read the old row.
_AVAILABLE = ("LEAST($2::float8, b.tokens + GREATEST(0, extract(epoch FROM clock_timestamp() - b.updated))"
              " * $3::float8)")
_TAKE = f"""
INSERT INTO {BUCKETS_TABLE} AS b (key, tokens, updated, granted)
VALUES ($1, CASE WHEN $2::float8 >= $4::float8 THEN $2::float8 - $4::float8 ELSE $2::float8 END,
        clock_timestamp(), $2::float8 >= $4::float8)
ON CONFLICT (key) DO UPDATE SET
    tokens = CASE WHEN {_AVAILABLE} >= $4::float8 THEN {_AVAILABLE} - $4::float8 ELSE {_AVAILABLE} END,
    updated = clock_timestamp(),
    granted = {_AVAILABLE} >= $4::float8
RETURNING tokens, granted
"""


async def ensure_schema(pool: asyncpg.Pool) -> None:
    await apply_ddl_async(pool, DDL)


@dataclass(frozen=True)
class Limit:
    rate_per_second: float
    burst: float


class SharedRateLimiter:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def take(self, key: str, limit: Limit, cost: float = 1.0) -> float:
        """Takes `cost` from the bucket `key`; 0 when granted, else the seconds until it could be."""
        row = await self.pool.fetchrow(_TAKE, key, limit.burst, limit.rate_per_second, cost)
        assert row is not None
        if row["granted"]:
            return 0.0
        if cost > limit.burst:
            return float("inf")
        return max((cost - float(row["tokens"])) / limit.rate_per_second, 0.001)


@dataclass
class TokenBucket:
    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Takes one token; returns 0 when granted, else the seconds until one will be available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def wait(self, now: float) -> float:
        """The seconds until a token is there, without taking one."""
        tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate


@dataclass
class RateLimiter:
    """In-process buckets by key; the oldest are forgotten past `max_keys`, bounding memory."""

    rate_per_second: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 10_000
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def _bucket(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.pop(next(iter(self._buckets)))
            bucket = self._buckets[key] = TokenBucket(
                self.rate_per_second, float(self.burst), float(self.burst), now
            )
        return bucket

    def acquire(self, key: str) -> float:
        """0 when `key` may act now, else how many seconds it must wait."""
        now = self.clock()
        return self._bucket(key, now).take(now)

    def wait(self, key: str) -> float:
        """How long `key` must wait before it may act, without acting."""
        bucket = self._buckets.get(key)
        return 0.0 if bucket is None else bucket.wait(self.clock())
