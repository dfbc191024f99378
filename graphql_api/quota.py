"""The per-tenant quota on live stores, enforced at creation even under concurrent creates.

Fed by the createStore mutation. Creates of one tenant take a PostgreSQL advisory lock, so two API
processes cannot both see "9 of 10" and both create; the count reads the read model and the events
it has not applied yet in one statement (one snapshot), so a lagging projection cannot undercount.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from domain.service import EVENTS_TABLE
from domain.store import LIVE_STATUSES, Store
from postgres.locks import LockKey
from projections.schema import READ_MODEL_SCHEMA, STORES_PROJECTION

T = TypeVar("T")

_REQUESTED_TOPIC = f"{Store.__module__}:{Store.__qualname__}.{Store.Requested.__name__}"

# Stores of the tenant that the read model knows as live, plus every store requested after the
# read model's position (not projected yet; counting them as live can only overcount, never under).
# One statement, so both halves are read at one instant. The pending requests' states come back as
# bytes and are read in Python: a cast to jsonb in SQL fails on a `\u0000` in any tenant's event,
# and one such event (see `postgres.quarantine`) would refuse every tenant's creates.
_LIVE_COUNT = f"""
WITH position AS (
    SELECT position FROM {READ_MODEL_SCHEMA}.tracking WHERE projection = '{STORES_PROJECTION}'
)
SELECT
    (SELECT count(*) FROM {READ_MODEL_SCHEMA}.stores WHERE tenant = $1 AND status = ANY($2::text[])),
    ARRAY(SELECT e.state FROM public.{EVENTS_TABLE} AS e, position AS p
          WHERE e.notification_id > p.position AND e.topic = $3)
"""


def _requested_by(state: bytes, tenant: str) -> bool:
    try:
        return bool(json.loads(state).get("tenant") == tenant)
    except (ValueError, AttributeError):
        return False  # it will not become a store either: the projection sets it aside


class QuotaExceeded(Exception):
    def __init__(self, tenant: str, used: int, limit: int) -> None:
        super().__init__(f"tenant {tenant} has {used} of {limit} live stores")
        self.tenant = tenant
        self.used = used
        self.limit = limit


async def live_store_count(
    conn: asyncpg.Pool | asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, tenant: str
) -> int:
    record = await conn.fetchrow(
        _LIVE_COUNT, tenant, sorted(s.value for s in LIVE_STATUSES), _REQUESTED_TOPIC
    )
    assert record is not None
    return int(record[0]) + sum(_requested_by(bytes(state), tenant) for state in record[1])


class StoreQuota:
    def __init__(self, pool: asyncpg.Pool, *, max_live_stores: int) -> None:
        self.pool = pool
        self.max_live_stores = max_live_stores

    async def usage(self, tenant: str) -> int:
        return await live_store_count(self.pool, tenant)

    async def within(
        self, tenant: str, create: Callable[[], Awaitable[T]], *, exempt: Callable[[], Awaitable[bool]]
    ) -> T:
        """Runs `create` while the tenant is below quota, holding the tenant's creation lock.

        `exempt` says whether this create would only return an existing store (a repeated keyed
        request), which must succeed even at the limit.
        """
        async with self.pool.acquire() as conn, conn.transaction():
            # Transaction-scoped: released on commit, rollback, or if this connection dies.
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))", int(LockKey.TENANT_QUOTA), tenant
            )
            used = await live_store_count(conn, tenant)
            if used >= self.max_live_stores and not await exempt():
                raise QuotaExceeded(tenant, used, self.max_live_stores)
            return await create()
