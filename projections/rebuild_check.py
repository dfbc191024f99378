"""`projections rebuild --verify`: rebuild the read model beside the live one and compare row by row.

Fed by the events table (through a `ProjectionRunner` writing into a scratch schema made with
`projections.schema.ddl`, without NOTIFY, so no subscriber mistakes it for the live model) and by
the live `read_model`; feeds a list of differing rows. The scratch schema is dropped afterwards,
whatever happens. The live read model is never written to except by catching it up, which its own
runner would do anyway.

Both models must be compared at the same position, while events may still arrive: each side is
caught up, then one REPEATABLE READ snapshot reads both positions and, if they are equal, the rows;
if an event slipped in between, the lagging side catches up and the snapshot is taken again.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from postgres import quarantine
from projections.postgres_view import Connection
from projections.runner import ProjectionRunner
from projections.schema import READ_MODEL_SCHEMA, STORES_PROJECTION, ddl

# Each table with the key its rows are matched on.
TABLES = (("stores", "id"), ("store_events", "sequence"), ("tracking", "projection"))
_SHOWN = 20
_ATTEMPTS = 10


@dataclass(frozen=True)
class RowDifference:
    table: str
    key: str
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None

    def columns(self) -> list[str]:
        """The columns whose values differ (every column when one side has no such row)."""
        live, rebuilt = self.live or {}, self.rebuilt or {}
        return sorted(c for c in {*live, *rebuilt} if live.get(c) != rebuilt.get(c))

    def describe(self) -> str:
        if self.live is None or self.rebuilt is None:
            side = "live read model" if self.rebuilt is None else "rebuild"
            return f"{self.table} {self.key}: only in the {side}"
        changes = ", ".join(f"{c}: live={self.live.get(c)!r} rebuilt={self.rebuilt.get(c)!r}"
                            for c in self.columns())
        return f"{self.table} {self.key}: {changes}"


@dataclass
class Comparison:
    position: int
    rows_compared: int = 0
    differing: int = 0
    shown: list[RowDifference] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return self.differing == 0


async def _position(conn: Connection, schema: str) -> int:
    value = await conn.fetchval(
        f"SELECT position FROM {schema}.tracking WHERE projection = $1", STORES_PROJECTION)
    return int(value or 0)


async def _compare_table(
    conn: Connection, table: str, key: str, live: str, scratch: str, into: Comparison
) -> None:
    into.rows_compared += int(await conn.fetchval(
        f"SELECT count(*) FROM {live}.{table} l FULL JOIN {scratch}.{table} s USING ({key})"))
    differing = f"""FROM {live}.{table} l FULL JOIN {scratch}.{table} s USING ({key})
                    WHERE to_jsonb(l) IS DISTINCT FROM to_jsonb(s)"""
    into.differing += int(await conn.fetchval(f"SELECT count(*) {differing}"))
    for r in await conn.fetch(
        f"SELECT {key}::text AS key, to_jsonb(l)::text AS live, to_jsonb(s)::text AS rebuilt "
        f"{differing} ORDER BY {key} LIMIT {_SHOWN}"
    ):
        into.shown.append(RowDifference(
            table, r["key"], json.loads(r["live"]) if r["live"] else None,
            json.loads(r["rebuilt"]) if r["rebuilt"] else None,
        ))


async def _compare_once(pool: asyncpg.Pool, live: str, scratch: str) -> Comparison | None:
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        live_at, rebuilt_at = await _position(conn, live), await _position(conn, scratch)
        if live_at != rebuilt_at:
            return None
        comparison = Comparison(position=live_at)
        for table, key in TABLES:
            await _compare_table(conn, table, key, live, scratch, comparison)
        return comparison


async def rebuild_and_compare(pool: asyncpg.Pool, *, live: str = READ_MODEL_SCHEMA) -> Comparison:
    """Rebuilds into a scratch schema, compares it with `live` at one position, drops the scratch."""
    scratch = f"read_model_verify_{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn:
        await conn.execute(ddl(scratch))
    runners = (ProjectionRunner(pool, schema=live), ProjectionRunner(pool, schema=scratch, notify=False))
    try:
        for _ in range(_ATTEMPTS):
            for runner in runners:
                await runner.catch_up()
            comparison = await _compare_once(pool, live, scratch)
            if comparison is not None:
                return comparison
        raise RuntimeError(f"events kept arriving: no common position after {_ATTEMPTS} attempts")
    finally:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(f"DROP SCHEMA IF EXISTS {scratch} CASCADE")
            await quarantine.forget_handler(conn, runners[1].handler)  # what the scratch set aside
