"""The projection runner: reads new events from the event store and applies them to the read model.

Fed by the events table (woken by the NOTIFY that eventsourcing sends on every append, with a
periodic poll as a safety net); feeds the read-model tables and, after each batch, a NOTIFY on
`storeplane_read_model` carrying the new position, which the API's subscriptions and the
reconciler wake on. Each batch and its tracking position commit in one transaction, so every event
is applied exactly once, across restarts and with several runners.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

import asyncpg

from domain.service import EVENTS_TABLE
from domain.store import Store
from projections.decoding import EventDecoder
from projections.event_feed import FeedRow, feed_row
from projections.postgres_view import Connection, PostgresView
from projections.schema import READ_MODEL_CHANNEL, READ_MODEL_SCHEMA, STORES_PROJECTION
from projections.store_view import StoreRow, apply, created
from projections.waiting import first_of

log = logging.getLogger(__name__)

STORE_TOPIC_PREFIX = f"{Store.__module__}:{Store.__qualname__}."


class ProjectionRunner:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        schema: str = READ_MODEL_SCHEMA,
        events_table: str = f"public.{EVENTS_TABLE}",
        batch_size: int = 1000,
        notify: bool = True,
    ) -> None:
        self.pool = pool
        self.view = PostgresView(schema)
        self.events_table = events_table
        self.batch_size = batch_size
        self.notify = notify
        self.decoder = EventDecoder()

    async def apply_next_batch(self) -> int:
        """Applies up to one batch of new events in one transaction; returns how many it read."""
        async with self.pool.acquire() as conn, conn.transaction():
            return await self._apply_batch(conn)

    async def catch_up(self) -> int:
        total = 0
        while applied := await self.apply_next_batch():
            total += applied
        return total

    async def rebuild(self) -> int:
        """Rebuilds the read model from event 1 in one transaction: readers never see it half-done."""
        async with self.pool.acquire() as conn, conn.transaction():
            await self.view.lock_position(conn, STORES_PROJECTION)
            await self.view.clear(conn, STORES_PROJECTION)
            total = 0
            while applied := await self._apply_batch(conn):
                total += applied
            return total

    async def run(self, stop: asyncio.Event, *, poll_interval: float = 2.0) -> None:
        """Applies events as they arrive until `stop` is set, surviving database restarts."""
        while not stop.is_set():
            try:
                await self._follow(stop, poll_interval)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.exception("projection runner lost the database; reconnecting")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=poll_interval)

    async def _follow(self, stop: asyncio.Event, poll_interval: float) -> None:
        wake = asyncio.Event()
        async with _listening(self.pool, EVENTS_TABLE, lambda *_: wake.set()) as listener:
            while not stop.is_set() and not listener.is_closed():
                wake.clear()
                await self.catch_up()
                await first_of(wake, stop, within=poll_interval)

    async def _apply_batch(self, conn: Connection) -> int:
        position = await self.view.lock_position(conn, STORES_PROJECTION)
        records = await conn.fetch(
            f"SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {self.events_table} WHERE notification_id > $1 "
            f"ORDER BY notification_id LIMIT $2",
            position, self.batch_size,
        )
        if not records:
            return 0
        store_events = [
            (int(r["notification_id"]), self._decode(r))
            for r in records if r["topic"].startswith(STORE_TOPIC_PREFIX)
        ]
        rows, feed = await self._project(conn, store_events)
        await self.view.save_stores(conn, list(rows.values()))
        await self.view.append_feed(conn, feed)
        last = int(records[-1]["notification_id"])
        await self.view.save_position(conn, STORES_PROJECTION, last)
        if self.notify:
            await conn.execute("SELECT pg_notify($1, $2)", READ_MODEL_CHANNEL, str(last))
        return len(records)

    def _decode(self, record: asyncpg.Record) -> Store.Event:
        event = self.decoder.decode(
            record["originator_id"], record["originator_version"], record["topic"], record["state"]
        )
        assert isinstance(event, Store.Event)
        return event

    async def _project(
        self, conn: Connection, events: list[tuple[int, Store.Event]]
    ) -> tuple[dict[UUID, StoreRow], list[FeedRow]]:
        touched = {e.originator_id for _, e in events if not isinstance(e, Store.Requested)}
        rows = await self.view.load_stores(conn, touched) if touched else {}
        changed: dict[UUID, StoreRow] = {}
        feed: list[FeedRow] = []
        for sequence, event in events:
            if isinstance(event, Store.Requested):
                row = created(event, sequence)
            else:
                row = apply(rows[event.originator_id], event, sequence)
            rows[row.id] = changed[row.id] = row
            feed.append(feed_row(event, sequence, row.tenant))
        return changed, feed


@contextlib.asynccontextmanager
async def _listening(
    pool: asyncpg.Pool, channel: str, callback: Callable[..., Any]
) -> Any:
    conn = await pool.acquire()
    try:
        await conn.add_listener(channel, callback)
        yield conn
    finally:
        with contextlib.suppress(Exception):
            await conn.remove_listener(channel, callback)
        await pool.release(conn)
