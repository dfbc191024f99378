"""The per-tenant quota on live stores, enforced at creation even under concurrent creates.

Fed by the createStore mutation, which hands a `QuotaFence` to the store's save; feeds the event
store's recorder (`storeplane.event_store.ExactlyOnceRecorder` runs the fence's statement inside
the append's own transaction, before eventsourcing's table lock and the insert). Creates of one
tenant take a transaction-scoped PostgreSQL advisory lock, so two API processes cannot both see
"9 of 10" and both create; the count reads the read model and the events it has not applied yet in
one statement (one snapshot, taken after the lock is held), so a lagging projection cannot
undercount.

Why in the append's transaction: the check used to be an asyncpg transaction (BEGIN, the lock, the
count, COMMIT, the pool's reset) held open on the event loop while the save ran on a thread, about
five round trips and a pooled connection per create on top of the save's own. In the append it is
one statement, and the lock is released by the very commit that makes the new store count.

Why SQL functions (`DDL`, applied by `setup_schema`): the check runs in the same message as the
append's lock, insert and commit, so nothing may need the client between them; a function that
raises refuses the append inside the server. The count lives in one function, which the API's
usage query calls too, so the number a user is shown is the number the quota enforces.
`QuotaExceeded` is an `AppendRefused`: a repeated keyed request that the quota refuses is answered
with its store (`StoreService.create_store`), even at the limit, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from psycopg.sql import Literal

from domain.errors import AppendRefused
from domain.fence import REFUSED_SQLSTATE
from domain.service import EVENTS_TABLE
from domain.store import LIVE_STATUSES, Store
from postgres.locks import LockKey
from projections.schema import READ_MODEL_SCHEMA, STORES_PROJECTION

_REQUESTED_TOPIC = f"{Store.__module__}:{Store.__qualname__}.{Store.Requested.__name__}"
_DELETION_TOPIC = f"{Store.__module__}:{Store.__qualname__}.{Store.DeletionRequested.__name__}"
LIVE_STORES = "public.storeplane_live_stores"
QUOTA_HOLDS = "public.storeplane_quota_holds"


def _text(value: str) -> str:
    return Literal(value).as_string()


def _ddl() -> str:
    events = f"public.{EVENTS_TABLE}"
    live = sorted(status.value for status in LIVE_STATUSES)
    statuses = "ARRAY[" + ", ".join(_text(status) for status in live) + "]::text[]"
    deletion_pending = f"""EXISTS (
            SELECT 1 FROM {events} AS d, position AS p
            WHERE d.originator_id = {{id}} AND d.notification_id > p.position
              AND d.topic = {_text(_DELETION_TOPIC)})"""
    # Stores of the tenant that the read model knows as live, minus those whose deletion was
    # requested after the read model's position, plus every store requested after that position
    # whose deletion is not pending too: exact whichever events the projection has applied, so a
    # store deleted a moment ago frees its slot before the projection catches up. One statement,
    # so every part is read at one instant. The pending requests' states are read as `json`, one
    # at a time: a `\u0000` elsewhere in an event is no concern of `->>`, and a state that is not
    # JSON text at all (it will not become a store either: the projection sets it aside) counts
    # for nobody, where a cast of all of them at once would refuse every tenant's creates.
    return f"""
CREATE OR REPLACE FUNCTION {LIVE_STORES}(p_tenant text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    v_used bigint;
    v_pending bytea[];
    v_state bytea;
BEGIN
    WITH position AS (
        SELECT position FROM {READ_MODEL_SCHEMA}.tracking WHERE projection = {_text(STORES_PROJECTION)}
    )
    SELECT
        (SELECT count(*) FROM {READ_MODEL_SCHEMA}.stores AS s
         WHERE s.tenant = p_tenant AND s.status = ANY({statuses})
           AND NOT {deletion_pending.format(id="s.id")}),
        ARRAY(SELECT e.state FROM {events} AS e, position AS p
              WHERE e.notification_id > p.position AND e.topic = {_text(_REQUESTED_TOPIC)}
                AND NOT {deletion_pending.format(id="e.originator_id")})
    INTO v_used, v_pending;
    FOREACH v_state IN ARRAY v_pending LOOP
        BEGIN
            IF convert_from(v_state, 'UTF8')::json ->> 'tenant' = p_tenant THEN
                v_used := v_used + 1;
            END IF;
        EXCEPTION WHEN data_exception THEN
            NULL;
        END;
    END LOOP;
    RETURN v_used;
END
$fn$;

CREATE OR REPLACE FUNCTION {QUOTA_HOLDS}(p_tenant text, p_max bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    v_used bigint;
BEGIN
    PERFORM pg_advisory_xact_lock({int(LockKey.TENANT_QUOTA)}, hashtext(p_tenant));
    -- A statement of its own: the count's snapshot must be taken once the lock is held, or it
    -- could miss a create that committed while this one waited for the lock.
    v_used := {LIVE_STORES}(p_tenant);
    IF v_used >= p_max THEN
        RAISE EXCEPTION USING ERRCODE = {_text(REFUSED_SQLSTATE)}, MESSAGE = v_used::text;
    END IF;
END
$fn$;
"""


DDL = _ddl()


class QuotaExceeded(AppendRefused):
    def __init__(self, tenant: str, used: int, limit: int) -> None:
        super().__init__(f"tenant {tenant} has {used} of {limit} live stores")
        self.tenant = tenant
        self.used = used
        self.limit = limit


async def live_store_count(
    conn: asyncpg.Pool | asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, tenant: str
) -> int:
    return int(await conn.fetchval(f"SELECT {LIVE_STORES}($1)", tenant))


@dataclass(frozen=True)
class QuotaFence:
    """The tenant's quota, checked in the transaction that appends its new store: the statement
    holds the tenant's creation lock until the append commits or rolls back, and refuses the
    append when the tenant is at its limit."""

    tenant: str
    max_live_stores: int

    def statement(self) -> tuple[str, Sequence[object]]:
        return f"SELECT {QUOTA_HOLDS}(%s, %s)", (self.tenant, self.max_live_stores)

    def refused(self, message: str) -> QuotaExceeded:
        return QuotaExceeded(self.tenant, int(message), self.max_live_stores)


class StoreQuota:
    def __init__(self, pool: asyncpg.Pool, *, max_live_stores: int) -> None:
        self.pool = pool
        self.max_live_stores = max_live_stores

    async def usage(self, tenant: str) -> int:
        return await live_store_count(self.pool, tenant)

    def fence(self, tenant: str) -> QuotaFence:
        return QuotaFence(tenant, self.max_live_stores)
