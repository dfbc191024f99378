"""`audit history STORE`: every event of one store, in order, read from the event store itself.

Fed by the events table (not the read model, which is derived and could lag or be rebuilt) joined
with the chain for each event's hashes; feeds the CLI's table, JSON and NDJSON output.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from audit.records import audit_query, record_from_row
from audit.schema import CHAIN_TABLE
from domain.errors import StoreNotFound
from domain.service import EVENTS_TABLE

_HISTORY = audit_query(f"public.{EVENTS_TABLE}", CHAIN_TABLE, "e.originator_id = $1")


async def store_history(
    pool: asyncpg.Pool, store_id: UUID, *, tenant: str | None = None
) -> list[dict[str, Any]]:
    """The store's events oldest first; StoreNotFound if it has none (or belongs to another tenant)."""
    records = [record_from_row(r) for r in await pool.fetch(_HISTORY, store_id)]
    if not records or records[0]["aggregate"] != "Store" or (
        tenant is not None and records[0]["tenant"] != tenant
    ):
        raise StoreNotFound(store_id)
    return records
