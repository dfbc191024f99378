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
_FEED_COLUMNS = (
    "sequence", "store_id", "tenant", "version", "type", "occurred_at", "actor", "correlation_id",
    "data",
)


class PostgresView:
    def __init__(self, schema: str) -> None:
        self.schema = schema
        placeholders = ", ".join(f"${i}" for i in range(1, len(_STORE_COLUMNS) + 1))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _STORE_COLUMNS[1:])
        self._upsert = (
            f"INSERT INTO {schema}.stores ({', '.join(_STORE_COLUMNS)}) VALUES ({placeholders}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}"
        )

    async def lock_position(self, conn: Connection, projection: str) -> int:
        position = await conn.fetchval(
            f"SELECT position FROM {self.schema}.tracking WHERE projection = $1 FOR UPDATE",
            projection,
        )
        if position is None:
            raise RuntimeError(f"no tracking row for projection {projection!r}; run schema setup")
        return int(position)

    async def save_position(self, conn: Connection, projection: str, position: int) -> None:
        await conn.execute(
            f"UPDATE {self.schema}.tracking SET position = $2 WHERE projection = $1",
            projection, position,
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
        if rows:
            await conn.copy_records_to_table(
                "store_events",
                schema_name=self.schema,
                columns=_FEED_COLUMNS,
                records=[tuple(getattr(row, c) for c in _FEED_COLUMNS) for row in rows],
            )

    async def clear(self, conn: Connection, projection: str) -> None:
        await conn.execute(f"TRUNCATE {self.schema}.stores, {self.schema}.store_events")
        await self.save_position(conn, projection, 0)
