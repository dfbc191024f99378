"""Reading the read model: stores by id or page, and the event feed after a sequence number.

Used by the API, the CLI and the reconciler; every query can be limited to one tenant, which is
how tenancy is enforced on reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.text import check_optional_text, check_text
from domain.timings import STARTS
from projections.event_feed import FeedRow
from projections.schema import READ_MODEL_SCHEMA
from projections.store_view import StoreRow


@dataclass(frozen=True)
class StoreFilter:
    tenant: str | None = None
    statuses: tuple[str, ...] = ()
    engine: str | None = None
    name_contains: str | None = None

    def __post_init__(self) -> None:
        """Search text from any door (API, CLI) is checked once here: PostgreSQL refuses NUL, so
        it would otherwise surface as an internal error rather than VALIDATION_FAILED."""
        check_optional_text("tenant", self.tenant)
        check_optional_text("engine", self.engine)
        check_optional_text("nameContains", self.name_contains)
        for status in self.statuses:
            check_text("status", status)


@dataclass(frozen=True)
class PageCursor:
    """Keyset position in the stores list, ordered newest first: (created_at, id)."""

    created_at: datetime
    id: UUID


def _store(record: asyncpg.Record) -> StoreRow:
    values = dict(record)
    values["completed_steps"] = tuple(values["completed_steps"])
    return StoreRow(**values)


def _feed(record: asyncpg.Record) -> FeedRow:
    values = dict(record)
    if not isinstance(values["data"], str):
        values["data"] = json.dumps(values["data"])
    return FeedRow(**values)


class ReadModel:
    def __init__(self, pool: asyncpg.Pool, schema: str = READ_MODEL_SCHEMA) -> None:
        self.pool = pool
        self.schema = schema

    async def store(self, store_id: UUID, *, tenant: str | None = None) -> StoreRow | None:
        record = await self.pool.fetchrow(
            f"SELECT * FROM {self.schema}.stores WHERE id = $1 AND ($2::text IS NULL OR tenant = $2)",
            store_id, tenant,
        )
        return _store(record) if record else None

    async def stores(
        self, where: StoreFilter, *, first: int, after: PageCursor | None = None
    ) -> list[StoreRow]:
        """One page, newest first; asks for `first` rows (callers ask one more to see if more exist)."""
        records = await self.pool.fetch(
            f"""SELECT * FROM {self.schema}.stores
                WHERE ($1::text IS NULL OR tenant = $1)
                  AND (cardinality($2::text[]) = 0 OR status = ANY($2::text[]))
                  AND ($3::text IS NULL OR engine = $3)
                  AND ($4::text IS NULL OR strpos(name, $4) > 0)
                  AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6::uuid))
                ORDER BY created_at DESC, id DESC
                LIMIT $7""",
            where.tenant, list(where.statuses), where.engine, where.name_contains,
            after.created_at if after else None, after.id if after else None, first,
        )
        return [_store(r) for r in records]

    async def count(self, where: StoreFilter) -> int:
        value = await self.pool.fetchval(
            f"""SELECT count(*) FROM {self.schema}.stores
                WHERE ($1::text IS NULL OR tenant = $1)
                  AND (cardinality($2::text[]) = 0 OR status = ANY($2::text[]))
                  AND ($3::text IS NULL OR engine = $3)
                  AND ($4::text IS NULL OR strpos(name, $4) > 0)""",
            where.tenant, list(where.statuses), where.engine, where.name_contains,
        )
        return int(value)

    async def events(
        self,
        *,
        after: int = 0,
        store_id: UUID | None = None,
        tenant: str | None = None,
        limit: int = 500,
    ) -> list[FeedRow]:
        """Feed rows with sequence > `after`, oldest first, for one store, one tenant or all."""
        records = await self.pool.fetch(
            f"""SELECT * FROM {self.schema}.store_events
                WHERE sequence > $1
                  AND ($2::uuid IS NULL OR store_id = $2)
                  AND ($3::text IS NULL OR tenant = $3)
                ORDER BY sequence LIMIT $4""",
            after, store_id, tenant, limit,
        )
        return [_feed(r) for r in records]

    async def latest_attempt(self, store_id: UUID, *, limit: int = 1000) -> list[tuple[str, datetime]]:
        """The types and times of a store's events from its latest request or retry on, oldest
        first: what `domain.timings` needs."""
        return (await self.latest_attempts([store_id], limit=limit)).get(store_id, [])

    async def latest_attempts(
        self, store_ids: list[UUID], *, limit: int = 1000
    ) -> dict[UUID, list[tuple[str, datetime]]]:
        """`latest_attempt` of many stores in one query (a page of stores asking for their
        provisioning times, `graphql_api.loaders`), on the (store_id, version) index; a store
        without events is left out."""
        records = await self.pool.fetch(
            f"""SELECT wanted.id AS store_id, e.type, e.occurred_at
                FROM unnest($1::uuid[]) AS wanted(id)
                CROSS JOIN LATERAL (
                    SELECT type, occurred_at, version FROM {self.schema}.store_events
                    WHERE store_id = wanted.id AND version >= COALESCE((
                        SELECT max(version) FROM {self.schema}.store_events
                        WHERE store_id = wanted.id AND type = ANY($2::text[])), 1)
                    ORDER BY version LIMIT $3
                ) AS e
                ORDER BY wanted.id, e.version""",
            sorted(set(store_ids)), sorted(STARTS), limit,
        )
        found: dict[UUID, list[tuple[str, datetime]]] = {}
        for record in records:
            found.setdefault(record["store_id"], []).append((record["type"], record["occurred_at"]))
        return found

    async def position(self, projection: str = "stores") -> int:
        value = await self.pool.fetchval(
            f"SELECT position FROM {self.schema}.tracking WHERE projection = $1", projection
        )
        return int(value or 0)
