"""The PostgreSQL side of the read model: load and save store rows, append feed rows, track position.

Used by the projection runner inside one transaction per batch, so the view and the tracking
position always move together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from projections.event_feed import FeedRow
from projections.store_view import StoreRow

Connection = asyncpg.Connection | PoolConnectionProxy
"""A plain connection or one borrowed from a pool: the view works on either."""

_STORE_COLUMNS = (
    "id", "tenant", "name", "engine", "plan", "namespace", "idempotency_key", "status",
    "status_reason", "url", "version", "attempt", "retry_at", "completed_steps", "created_at",
    "updated_at", "last_sequence",
)
_FEED_TYPES = {
    "sequence": "bigint", "store_id": "uuid", "tenant": "text", "version": "integer", "type": "text",
    "occurred_at": "timestamptz", "actor": "text", "correlation_id": "text", "data": "jsonb",
}
"""Each feed column with its SQL type (`projections.schema`): the INSERT sends a typed array of each."""
_FEED_COLUMNS = tuple(_FEED_TYPES)


class PostgresView:
    def __init__(self, schema: str) -> None:
        self.schema = schema
        placeholders = ", ".join(f"${i}" for i in range(1, len(_STORE_COLUMNS) + 1))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _STORE_COLUMNS[1:])
        self._upsert = (
            f"INSERT INTO {schema}.stores ({', '.join(_STORE_COLUMNS)}) VALUES ({placeholders}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}"
        )
        arrays = ", ".join(f"${i}::{kind}[]" for i, kind in enumerate(_FEED_TYPES.values(), start=1))
        self._append_feed = (
            f"INSERT INTO {schema}.store_events ({', '.join(_FEED_COLUMNS)}) SELECT * FROM unnest({arrays})"
        )

    async def lock_position(self, conn: Connection, projection: str) -> int:
        position = await conn.fetchval(
            f"SELECT position FROM {self.schema}.tracking WHERE projection = $1 FOR UPDATE",
            projection,
        )
        if position is None:
            raise RuntimeError(f"no tracking row for projection {projection!r}; run schema setup")
        return int(position)

    async def save_position(
        self, conn: Connection, projection: str, position: int, *, notify: str | None = None
    ) -> None:
        """`notify`: a channel told the new position, in the same statement (one round trip less
        on every batch; the NOTIFY is sent at commit either way)."""
        await conn.execute(
            f"WITH saved AS (UPDATE {self.schema}.tracking SET position = $2::bigint WHERE projection = $1) "
            "SELECT pg_notify($3, $2::bigint::text) WHERE $3::text IS NOT NULL",
            projection, position, notify,
        )

    async def load_stores(self, conn: Connection, ids: Iterable[UUID]) -> dict[UUID, StoreRow]:
        records = await conn.fetch(
            f"SELECT {', '.join(_STORE_COLUMNS)} FROM {self.schema}.stores WHERE id = ANY($1::uuid[])",
            list(ids),
        )
        rows = {}
        for record in records:
            values = dict(record)
            values["completed_steps"] = tuple(values["completed_steps"])
            rows[record["id"]] = StoreRow(**values)
        return rows

    async def save_stores(self, conn: Connection, rows: Sequence[StoreRow]) -> None:
        if rows:
            await conn.executemany(
                self._upsert,
                [
                    tuple(
                        list(getattr(row, c)) if c == "completed_steps" else getattr(row, c)
                        for c in _STORE_COLUMNS
                    )
                    for row in rows
                ],
            )

    async def append_feed(self, conn: Connection, rows: Sequence[FeedRow]) -> None:
        """One INSERT of a column array each: one round trip for any batch. asyncpg's COPY first
        asks the server for the table's column types, and COPY itself is two more exchanges — for
        the one or two events a live batch usually holds, three round trips instead of one."""
        if rows:
            columns = ([getattr(row, c) for row in rows] for c in _FEED_COLUMNS)
            await conn.execute(self._append_feed, *columns)

    async def clear(self, conn: Connection, projection: str) -> None:
        await conn.execute(f"TRUNCATE {self.schema}.stores, {self.schema}.store_events")
        await self.save_position(conn, projection, 0)
