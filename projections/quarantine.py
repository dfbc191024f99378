"""`storeplane projections quarantine list` / `retry`: what the operator calls after a handler set
an event aside (the lead wires these into the CLI).

Fed by `postgres.quarantine` (the table) and the projection runner (which re-applies); feeds the
operator's terminal. A retry of the read model applies the events again, each store's in order, in
one transaction with the tracking lock; entries of the live feed (`graphql_api.live`) are only
dismissed, since a push missed in the past cannot be delivered later (subscribers that resume read
the feed from the read model, where the event is).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from postgres import quarantine
from postgres.quarantine import Quarantined
from projections.runner import ProjectionRunner
from projections.schema import READ_MODEL_SCHEMA

LIVE_HANDLER = "live"


@dataclass(frozen=True)
class RetryResult:
    applied: int
    still_quarantined: int
    dismissed: int


async def list_quarantined(pool: asyncpg.Pool, handler: str | None = None) -> list[Quarantined]:
    """Every event set aside, oldest first, with its handler, store, topic, error and attempts."""
    return await quarantine.listed(pool, handler)


async def retry_quarantined(
    pool: asyncpg.Pool, *, store_id: UUID | None = None, schema: str = READ_MODEL_SCHEMA
) -> RetryResult:
    """Re-applies the read model's quarantined events (of one store, or all) and dismisses the
    live feed's; what still fails stays quarantined with its new error."""
    applied, still = await ProjectionRunner(pool, schema=schema).retry_quarantined(store_id)
    dismissed = 0
    async with pool.acquire() as conn, conn.transaction():
        for entry in await quarantine.listed(conn, LIVE_HANDLER, lock=True):
            if store_id is None or entry.originator_id == store_id:
                await quarantine.release(conn, LIVE_HANDLER, entry.position)
                dismissed += 1
    return RetryResult(applied, still, dismissed)
