"""`audit export`: every stored event in a time window as NDJSON, streamed in constant memory.

Fed by the events table through a server-side cursor read in chunks (asyncpg, inside one REPEATABLE READ
read-only transaction, so the export is one consistent snapshot however long it runs); feeds a
`write` callable one line at a time, so memory does not grow with the history's size.

The window is on the time each event occurred (the timestamp in its stored JSON), since inclusive,
until exclusive; the tenant is the one named by the aggregate's first event. Both filters run in
PostgreSQL so excluded rows never cross the wire. Every event type is exported, the name
reservations too: they are part of the hash chain an auditor may want to check against.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from audit.records import audit_query, record_from_row
from audit.schema import CHAIN_TABLE
from audit.stream import chunks
from domain.service import EVENTS_TABLE

_OCCURRED_AT = "(convert_from(e.state, 'UTF8')::jsonb #>> '{timestamp,_data_}')::timestamptz"


@dataclass(frozen=True)
class ExportWindow:
    since: datetime | None = None
    until: datetime | None = None
    tenant: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition and its arguments; only the filters that are set, so plans stay simple."""
        conditions: list[str] = []
        arguments: list[Any] = []
        for value, condition in (
            (self.since, f"{_OCCURRED_AT} >= $%d"),
            (self.until, f"{_OCCURRED_AT} < $%d"),
            (self.tenant, "convert_from(f.state, 'UTF8')::jsonb ->> 'tenant' = $%d"),
        ):
            if value is not None:
                arguments.append(value)
                conditions.append(condition % len(arguments))
        return " AND ".join(conditions) or "TRUE", arguments


def ndjson_line(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"


async def export_events(
    pool: asyncpg.Pool, window: ExportWindow, write: Callable[[str], object]
) -> int:
    """Writes one NDJSON line per event in the window, in notification order; returns the count."""
    where, arguments = window.where()
    query = audit_query(f"public.{EVENTS_TABLE}", CHAIN_TABLE, where)
    count = 0
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        async for rows in chunks(conn, query, *arguments):
            for row in rows:
                write(ndjson_line(record_from_row(row)))
            count += len(rows)
    return count
