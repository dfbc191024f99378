"""Events a handler could not apply, set aside so one bad event never stops everyone.

Written by the projection runner in the same transaction as its tracking position, so an event is
either applied or set aside, exactly once; read by `/readyz` (degraded, with the reason),
`/metrics` and `storeplane projections quarantine list`; emptied by a retry once the cause is
fixed.

One table for every handler (`handler` names it, e.g. `read_model.stores`, or a rebuild check's
scratch schema), so an operator looks in one place and a future follower needs no table of its
own. `held_by` marks an event set aside only because an earlier event of the same store is: a
store's events apply in order or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

log = logging.getLogger(__name__)

QUARANTINE_TABLE = "public.storeplane_quarantine"

DDL = f"""
CREATE TABLE IF NOT EXISTS {QUARANTINE_TABLE} (
    handler text NOT NULL,             -- who set it aside, e.g. 'read_model.stores'
    position bigint NOT NULL,          -- the event's notification id
    originator_id uuid,                -- its store
    topic text NOT NULL,
    error text NOT NULL,               -- why, as the handler saw it (with the SQLSTATE if any)
    held_by bigint,                    -- set aside only because this earlier event of the store is
    attempts integer NOT NULL DEFAULT 1,
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (handler, position)
);
"""

Connection = asyncpg.Connection | PoolConnectionProxy | asyncpg.Pool


@dataclass(frozen=True)
class Quarantined:
    handler: str
    position: int
    originator_id: UUID | None
    topic: str
    error: str
    held_by: int | None
    attempts: int
    quarantined_at: datetime


def describe(error: BaseException) -> str:
    """The error as an operator needs it: its type, SQLSTATE when PostgreSQL raised it, message."""
    state = getattr(error, "sqlstate", None)
    return f"{type(error).__name__}{f' [{state}]' if state else ''}: {error}"


async def set_aside(
    conn: Connection, handler: str, position: int, originator_id: UUID | None, topic: str,
    error: str, *, held_by: int | None = None,
) -> None:
    """Records (or, on a failed retry, updates) one quarantined event, and says so in the log."""
    await conn.execute(
        f"INSERT INTO {QUARANTINE_TABLE} AS q (handler, position, originator_id, topic, error, held_by) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (handler, position) DO UPDATE "
        "SET error = EXCLUDED.error, held_by = EXCLUDED.held_by, attempts = q.attempts + 1",
        handler, position, originator_id, topic, error, held_by,
    )
    log.error("quarantined handler=%s position=%d store=%s topic=%s: %s",
              handler, position, originator_id, topic, error)


async def release(conn: Connection, handler: str, position: int) -> None:
    await conn.execute(
        f"DELETE FROM {QUARANTINE_TABLE} WHERE handler = $1 AND position = $2", handler, position
    )


async def held_stores(conn: Connection, handler: str) -> dict[UUID, int]:
    """Stores with an event set aside by `handler`, each with its first such position."""
    records = await conn.fetch(
        f"SELECT originator_id, min(position) AS first FROM {QUARANTINE_TABLE} "
        "WHERE handler = $1 AND originator_id IS NOT NULL GROUP BY originator_id", handler,
    )
    return {r["originator_id"]: int(r["first"]) for r in records}


async def listed(
    conn: Connection, handler: str | None = None, *, lock: bool = False
) -> list[Quarantined]:
    """Every quarantined event (of one handler, or all), oldest position first."""
    records = await conn.fetch(
        f"SELECT handler, position, originator_id, topic, error, held_by, attempts, quarantined_at "
        f"FROM {QUARANTINE_TABLE} WHERE $1::text IS NULL OR handler = $1 "
        f"ORDER BY handler, position{' FOR UPDATE' if lock else ''}", handler,
    )
    return [Quarantined(**dict(r)) for r in records]


async def counts(conn: Connection) -> dict[str, int]:
    """How many events each handler has set aside (only handlers with any)."""
    records = await conn.fetch(f"SELECT handler, count(*) AS n FROM {QUARANTINE_TABLE} GROUP BY handler")
    return {r["handler"]: int(r["n"]) for r in records}


async def forget_handler(conn: Connection, handler: str) -> None:
    """For a rebuild, which applies (or sets aside again) every event from the start."""
    await conn.execute(f"DELETE FROM {QUARANTINE_TABLE} WHERE handler = $1", handler)
