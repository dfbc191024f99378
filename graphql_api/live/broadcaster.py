"""The broadcaster: one LISTEN connection per process, fanning read-model changes out to subscribers.

Fed by the projection runner's NOTIFY on `storeplane_read_model` (payload: its new position),
through a `postgres.follower.Follower` on a connection of its own. On each notification it reads
(through the pool) the feed rows after the last sequence it saw, once for all subscribers, and
offers them to each subscriber's bounded queue. When the connection is lost the follower reconnects
with backoff and this catches up from the last sequence seen, so a database restart loses no event;
`listening` says whether the LISTEN is up right now (`/readyz` reports it).

It cannot meet a poison event: it relays only feed rows the projection wrote, and the projection
sets an event it cannot hold aside (`postgres.quarantine`) before it becomes a row. What it runs
that is not its own is each subscriber's drop callback; one that raises drops that subscriber
alone, so no subscriber can stop the feed for the others (before, the exception ended the
broadcaster, and with it the API).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from uuid import UUID

import asyncpg

from graphql_api.live.subscription import Batch, DropCallback, Subscription, Topic
from postgres.follower import Follower
from projections.queries import ReadModel
from projections.schema import READ_MODEL_CHANNEL, READ_MODEL_SCHEMA
from projections.store_view import StoreRow

log = logging.getLogger(__name__)


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
        """Set once the starting position is known (subscribers wait for it); stays set."""
        self._subscribers: dict[str | None, set[Subscription]] = defaultdict(set)
        self.follower = Follower(
            database_url, READ_MODEL_CHANNEL, self._catch_up, poll_interval=poll_interval,
            max_backoff=max_backoff, on_reconnect=lambda _: self.on_event("reconnect"),
        )

    @property
    def listening(self) -> bool:
        """Whether the LISTEN on the read model's channel is up at this moment."""
        return self.follower.listening

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    def _anyone_subscribed(self) -> bool:
        return any(self._subscribers.values())

    def subscriptions(self) -> list[Subscription]:
        """Every subscription joined now (for /metrics and the tests)."""
        return [s for subscribers in self._subscribers.values() for s in subscribers]

    def subscribe(self, topic: Topic, *, on_drop: DropCallback | None = None) -> Joined:
        """`async with` it: a subscription for as long as the block runs; it sees every batch read
        after it joined."""
        return Joined(self, topic, on_drop)

    def _join(self, topic: Topic, on_drop: Callable[[str], None]) -> Subscription:
        assert self.position is not None
        subscription = Subscription(
            topic, max_batches=self.max_batches, start=self.position, on_drop=on_drop
        )
        self._subscribers[topic.tenant].add(subscription)
        return subscription

    def _leave(self, subscription: Subscription) -> None:
        self._subscribers[subscription.topic.tenant].discard(subscription)

    async def run(self, stop: asyncio.Event) -> None:
        """Listens until `stop` is set, reconnecting after any database failure."""
        await self.follower.run(stop)

    async def _catch_up(self) -> None:
        if self.position is None:  # nobody can have joined yet: they wait for `connected`
            self.position = await self.read_model.position()
            self.connected.set()
            return
        if not self._anyone_subscribed():
            # A batch nobody receives is two queries per notification wasted (measured: 0.1 ms of
            # server and 0.2 ms of PostgreSQL CPU per createStore, bench/RESULTS.md), so only the
            # position moves.
            latest = await self.read_model.position()
            if not self._anyone_subscribed():
                self.position = max(self.position, latest)
                return
            # One joined during the read, from the old position: an ordinary drain serves it.
        await self._drain()

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
                if not self._offer(subscription, wanted):
                    self._subscribers[tenant].discard(subscription)

    @staticmethod
    def _offer(subscription: Subscription, batch: Batch) -> bool:
        """Offers one subscriber the batch; its failure (its drop callback raising) is its own: it
        is dropped, and every other subscriber still gets the batch."""
        try:
            return subscription.offer(batch)
        except Exception:
            log.exception("subscriber of %s failed on a batch; dropping it", subscription.topic)
            subscription.dropped = subscription.dropped or "failed on a batch"
            return False


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


class Joined:
    """One subscription's membership of the broadcaster, from `__aenter__` to `__aexit__`.

    A class, not `contextlib.asynccontextmanager`: the block lasts as long as its websocket's
    subscription, often hours, and the generator version keeps a suspended async generator, its
    context manager object and the event loop's weak reference to it for all that time (this and
    the resolvers' `_Live` took 0.9 KiB off an idle subscription, `bench.idle_memory`)."""

    __slots__ = ("_broadcaster", "_on_drop", "_subscription", "_topic")

    def __init__(self, broadcaster: Broadcaster, topic: Topic, on_drop: DropCallback | None) -> None:
        self._broadcaster = broadcaster
        self._topic = topic
        self._on_drop = on_drop
        self._subscription: Subscription | None = None

    async def __aenter__(self) -> Subscription:
        await self._broadcaster.connected.wait()
        self._subscription = self._broadcaster._join(self._topic, self._dropped)
        return self._subscription

    async def __aexit__(self, *_: object) -> None:
        self.leave()

    def leave(self) -> None:
        """Ends the membership now (at the latest when the block ends); a second call does nothing."""
        if self._subscription is not None:
            self._broadcaster._leave(self._subscription)
            self._subscription = None

    def _dropped(self, reason: str) -> None:
        self._broadcaster.on_event("dropped")
        if self._on_drop is not None:
            self._on_drop(reason)
