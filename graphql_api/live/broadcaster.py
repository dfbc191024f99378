"""The broadcaster: one LISTEN connection per process, fanning read-model changes out to subscribers.

Fed by the projection runner's NOTIFY on `storeplane_read_model` (payload: its new position). On each
notification it reads (through the pool) the feed rows after the last sequence it saw, once for all
subscribers, and offers them to each subscriber's bounded queue. When the connection is lost it
reconnects with backoff and catches up from the last sequence seen, so a database restart loses no event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID

import asyncpg

from graphql_api.live.subscription import Batch, DropCallback, Subscription, Topic
from projections.queries import ReadModel
from projections.schema import READ_MODEL_CHANNEL, READ_MODEL_SCHEMA
from projections.store_view import StoreRow

log = logging.getLogger(__name__)

_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


class Broadcaster:
    def __init__(
        self,
        database_url: str,
        read_model: ReadModel,
        *,
        max_batches: int = 64,
        fetch_limit: int = 500,
        poll_interval: float = 5.0,
        max_backoff: float = 2.0,
        on_event: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.database_url = database_url
        self.read_model = read_model
        self.max_batches = max_batches
        self.fetch_limit = fetch_limit
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.on_event = on_event  # metrics hook: "reconnect", "dropped", "batch"
        self.position: int | None = None
        self.connected = asyncio.Event()
        self._wake = asyncio.Event()
        self._subscribers: dict[str | None, set[Subscription]] = defaultdict(set)

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    @contextlib.asynccontextmanager
    async def subscribe(
        self, topic: Topic, *, on_drop: DropCallback | None = None
    ) -> AsyncIterator[Subscription]:
        """A subscription for as long as the block runs; it sees every batch read after it joined."""
        await self.connected.wait()
        assert self.position is not None

        def dropped(reason: str) -> None:
            self.on_event("dropped")
            if on_drop is not None:
                on_drop(reason)

        subscription = Subscription(
            topic, max_batches=self.max_batches, start=self.position, on_drop=dropped
        )
        self._subscribers[topic.tenant].add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers[topic.tenant].discard(subscription)

    async def run(self, stop: asyncio.Event) -> None:
        """Listens until `stop` is set, reconnecting after any database failure."""
        backoff = 0.05
        while not stop.is_set():
            try:
                await self._listen(stop)
            except _DB_ERRORS as error:
                self.on_event("reconnect")
                log.warning("read-model listener lost (%s); reconnecting in %.2fs", error, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, self.max_backoff)
            else:
                backoff = 0.05

    async def _listen(self, stop: asyncio.Event) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self.database_url, timeout=5)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda *_: lost.set())
        try:
            await conn.add_listener(READ_MODEL_CHANNEL, self._notified)
            if self.position is None:
                self.position = await self.read_model.position()
            self.connected.set()
            self._wake.set()  # catch up on whatever was committed while we were not listening
            while not stop.is_set():
                await _first_of(self._wake, stop, lost, within=self.poll_interval)
                if lost.is_set():
                    raise ConnectionError("the LISTEN connection was closed")
                self._wake.clear()
                await self._drain()
        finally:
            with contextlib.suppress(*_DB_ERRORS):
                await asyncio.wait_for(conn.close(), timeout=2)
            if not conn.is_closed():
                conn.terminate()

    def _notified(self, *_: Any) -> None:
        self._wake.set()

    async def _drain(self) -> None:
        """Reads every feed row after the last one seen, batch by batch, and fans each batch out."""
        assert self.position is not None
        while True:
            rows = await self.read_model.events(after=self.position, limit=self.fetch_limit)
            if not rows:
                return
            stores = await _stores(self.read_model.pool, {row.store_id for row in rows})
            self._dispatch(Batch(tuple(rows), stores))
            self.position = rows[-1].sequence
            self.on_event("batch")
            if len(rows) < self.fetch_limit:
                return

    def _dispatch(self, batch: Batch) -> None:
        tenants = {row.tenant for row in batch.events}
        filtered: dict[Topic, Batch] = {}  # filtered once per distinct topic, not once per subscriber
        for tenant in (*tenants, None):
            for subscription in list(self._subscribers.get(tenant, ())):
                wanted = filtered.get(subscription.topic)
                if wanted is None:
                    wanted = filtered[subscription.topic] = batch.for_topic(subscription.topic)
                if not subscription.offer(wanted):
                    self._subscribers[tenant].discard(subscription)


async def _stores(pool: asyncpg.Pool, ids: set[UUID]) -> dict[UUID, StoreRow]:
    """The current rows of the stores a batch touched, read once for every subscriber."""
    records = await pool.fetch(
        f"SELECT * FROM {READ_MODEL_SCHEMA}.stores WHERE id = ANY($1::uuid[])", list(ids)
    )
    rows = {}
    for record in records:
        values = dict(record)
        values["completed_steps"] = tuple(values["completed_steps"])
        rows[values["id"]] = StoreRow(**values)
    return rows


async def _first_of(*events: asyncio.Event, within: float) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
