"""`storeplane projections quarantine list` / `retry`: what the operator calls after a handler set
an event aside (the lead wires these into the CLI).

Fed by `postgres.quarantine` (the table) and the projection runner (which re-applies); feeds the
operator's terminal. A retry applies the events again, each store's in order, in one transaction
with the tracking lock. Events applied by a retry are not pushed to live subscribers (their feed
sequence is behind the broadcaster's position); subscribers see them on their next read.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from postgres import quarantine
from postgres.quarantine import Quarantined
from projections.runner import ProjectionRunner
from projections.schema import READ_MODEL_SCHEMA


@dataclass(frozen=True)
class RetryResult:
    applied: int
    still_quarantined: int


async def list_quarantined(pool: asyncpg.Pool, handler: str | None = None) -> list[Quarantined]:
    """Every event set aside, oldest first, with its handler, store, topic, error and attempts."""
    return await quarantine.listed(pool, handler)


async def retry_quarantined(
    pool: asyncpg.Pool, *, store_id: UUID | None = None, schema: str = READ_MODEL_SCHEMA
) -> RetryResult:
    """Re-applies the read model's quarantined events (of one store, or all); what still fails
    stays quarantined with its new error and one more attempt."""
    applied, still = await ProjectionRunner(pool, schema=schema).retry_quarantined(store_id)
    return RetryResult(applied, still)
