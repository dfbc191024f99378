"""`audit export`: every stored event in a time window as NDJSON, streamed in constant memory.

Fed by the events table through a server-side cursor read in chunks (asyncpg, inside one REPEATABLE READ
read-only transaction, so the export is one consistent snapshot however long it runs); feeds a
`write` callable one line at a time, so memory does not grow with the history's size.

The window is on the time each event occurred (the timestamp in its stored JSON), since inclusive,
until exclusive; the tenant is the one named by the aggregate's first event. Both filters run in
PostgreSQL so excluded rows never cross the wire — except rows whose state jsonb refuses (a
`\u0000`, see `audit.records.json_at`), which SQL passes through and `ExportWindow.admits` judges,
so one such event cannot fail every export. Every event type is exported, the name
reservations too: they are part of the hash chain an auditor may want to check against.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from audit.records import audit_query, has_nul, json_at, record_from_row
from audit.schema import CHAIN_TABLE
from audit.stream import chunks
from domain.service import EVENTS_TABLE

# A state jsonb refuses (a `\\u0000`) passes the SQL filters and is judged by `admits` in Python.
_OCCURRED_AT = f"{json_at('e.state', '{timestamp,_data_}')}::timestamptz"
_UNREADABLE = f"({has_nul('e.state')} OR {has_nul('f.state')})"


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
            (self.tenant, f"{json_at('f.state', '{tenant}')} = $%d"),
        ):
            if value is not None:
                arguments.append(value)
                conditions.append(f"({condition % len(arguments)} OR {_UNREADABLE})")
        return " AND ".join(conditions) or "TRUE", arguments

    def admits(self, record: dict[str, Any]) -> bool:
        """The window's filters on a record, for the rows SQL could not judge."""
        if self.tenant is not None and record["tenant"] != self.tenant:
            return False
        occurred = datetime.fromisoformat(str(record["occurred_at"]))
        if occurred.tzinfo is None:
            occurred = occurred.replace(tzinfo=UTC)
        return (self.since is None or occurred >= self.since) and (
            self.until is None or occurred < self.until)


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
                record = record_from_row(row)
                if window.admits(record):
                    write(ndjson_line(record))
                    count += 1
    return count
