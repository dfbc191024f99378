"""The per-tenant quota on live stores, enforced at creation even under concurrent creates.

Fed by the createStore mutation, which hands a `QuotaFence` to the store's save; feeds the event
store's recorder (`storeplane.event_store.ExactlyOnceRecorder` calls `verify` on the append's own
psycopg cursor, before the events are inserted and before eventsourcing's table lock). Creates of
one tenant take a transaction-scoped PostgreSQL advisory lock, so two API processes cannot both see
"9 of 10" and both create; the count reads the read model and the events it has not applied yet in
one statement (one snapshot, taken after the lock is held), so a lagging projection cannot
undercount.

Why in the append's transaction: the check used to be an asyncpg transaction (BEGIN, the lock, the
count, COMMIT, the pool's reset) held open on the event loop while the save ran on a thread, about
five round trips and a pooled connection per create on top of the save's own. In the append it is
two statements, and the lock is released by the very commit that makes the new store count.
`QuotaExceeded` is an `AppendRefused`: a repeated keyed request that the quota refuses is answered
with its store (`StoreService.create_store`), even at the limit, as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from domain.errors import AppendRefused
from domain.service import EVENTS_TABLE
from domain.store import LIVE_STATUSES, Store
from postgres.locks import LockKey
from projections.schema import READ_MODEL_SCHEMA, STORES_PROJECTION

_REQUESTED_TOPIC = f"{Store.__module__}:{Store.__qualname__}.{Store.Requested.__name__}"
_DELETION_TOPIC = f"{Store.__module__}:{Store.__qualname__}.{Store.DeletionRequested.__name__}"

# Stores of the tenant that the read model knows as live, minus those whose deletion was requested
# after the read model's position, plus every store requested after that position whose deletion
# is not pending too: exact whichever events the projection has applied, so a store deleted a
# moment ago frees its slot before the projection catches up. One statement, so every part is read
# at one instant. The pending requests' states come back as bytes and are read in Python: a cast
# to jsonb in SQL fails on a `\u0000` in any tenant's event, and one such event (see
# `postgres.quarantine`) would refuse every tenant's creates.
def _live_count(tenant: str, statuses: str, requested: str, deletion: str) -> str:
    """The statement with the given placeholders (asyncpg's `$1`, psycopg's named `%(tenant)s`:
    the deletion topic appears twice, so positional `%s` would need values repeated)."""
    events = f"public.{EVENTS_TABLE}"
    deletion_pending = f"""EXISTS (
        SELECT 1 FROM {events} AS d, position AS p
        WHERE d.originator_id = {{id}} AND d.notification_id > p.position AND d.topic = {deletion})"""
    return f"""
WITH position AS (
    SELECT position FROM {READ_MODEL_SCHEMA}.tracking WHERE projection = '{STORES_PROJECTION}'
)
SELECT
    (SELECT count(*) FROM {READ_MODEL_SCHEMA}.stores AS s
     WHERE s.tenant = {tenant} AND s.status = ANY({statuses}::text[])
       AND NOT {deletion_pending.format(id="s.id")}) AS projected,
    ARRAY(SELECT e.state FROM {events} AS e, position AS p
          WHERE e.notification_id > p.position AND e.topic = {requested}
            AND NOT {deletion_pending.format(id="e.originator_id")}) AS pending
"""


_LIVE_COUNT = _live_count("$1", "$2", "$3", "$4")
_LIVE_COUNT_PSYCOPG = _live_count("%(tenant)s", "%(statuses)s", "%(requested)s", "%(deletion)s")
_LOCK_PSYCOPG = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"
_LIVE_STATUSES = sorted(s.value for s in LIVE_STATUSES)


def _requested_by(state: bytes, tenant: str) -> bool:
    try:
        return bool(json.loads(state).get("tenant") == tenant)
    except (ValueError, AttributeError):
        return False  # it will not become a store either: the projection sets it aside


class QuotaExceeded(AppendRefused):
    def __init__(self, tenant: str, used: int, limit: int) -> None:
        super().__init__(f"tenant {tenant} has {used} of {limit} live stores")
        self.tenant = tenant
        self.used = used
        self.limit = limit


async def live_store_count(
    conn: asyncpg.Pool | asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, tenant: str
) -> int:
    record = await conn.fetchrow(_LIVE_COUNT, tenant, _LIVE_STATUSES, _REQUESTED_TOPIC, _DELETION_TOPIC)
    assert record is not None
    return _used(record["projected"], record["pending"], tenant)


def _used(projected: int, pending: list[bytes], tenant: str) -> int:
    return int(projected) + sum(_requested_by(bytes(state), tenant) for state in pending)


@dataclass(frozen=True)
class QuotaFence:
    """The tenant's quota, checked in the transaction that appends its new store."""

    tenant: str
    max_live_stores: int

    def verify(self, cursor: Any) -> None:  # the recorder's psycopg cursor, rows as dicts
        """Holds the tenant's creation lock until the append commits or rolls back; raises
        `QuotaExceeded` (the append then rolls back) when the tenant is at its limit."""
        # Two statements: the count's snapshot must be taken once the lock is held, or it could
        # miss a create that committed while this one waited for the lock.
        cursor.execute(_LOCK_PSYCOPG, (int(LockKey.TENANT_QUOTA), self.tenant))
        cursor.execute(_LIVE_COUNT_PSYCOPG, {
            "tenant": self.tenant, "statuses": _LIVE_STATUSES, "requested": _REQUESTED_TOPIC,
            "deletion": _DELETION_TOPIC,
        })
        row = cursor.fetchone()
        used = _used(row["projected"], row["pending"], self.tenant)
        if used >= self.max_live_stores:
            raise QuotaExceeded(self.tenant, used, self.max_live_stores)


class StoreQuota:
    def __init__(self, pool: asyncpg.Pool, *, max_live_stores: int) -> None:
        self.pool = pool
        self.max_live_stores = max_live_stores

    async def usage(self, tenant: str) -> int:
        return await live_store_count(self.pool, tenant)

    def fence(self, tenant: str) -> QuotaFence:
        return QuotaFence(tenant, self.max_live_stores)
