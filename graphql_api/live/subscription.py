"""One subscriber's end of the broadcaster: what it wants, and a bounded queue of batches for it.

Filled by the broadcaster (never waiting: a full queue drops the subscriber); drained by a GraphQL
subscription resolver. Batches are shared between subscribers, so memory grows with the number of
batches a subscriber is behind, never with a copy of the stream per subscriber.

Once its resolver has sent what it read itself (the catch-up), a subscription may be given a
`Pusher` (`graphql_api.live.push`): batches then go to the socket from the broadcaster's own loop,
and the bound moves to the socket's unsent frames (more than `max_batches` pushes behind drops it,
as a full queue does).

The queue is a list and at most one future, not an `asyncio.Queue`: that one holds three deques
and an `Event` with a fourth (about 3.5 KiB per subscriber, measured with tracemalloc), for a
queue that, once its subscription pushes, is empty for good. One reader, non-blocking puts and a
bound of a few dozen batches need no more.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, cast
from uuid import UUID

from projections.event_feed import FeedRow
from projections.store_view import StoreRow

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Topic:
    """The events a subscriber may and wants to see: one tenant's (None: all) and maybe one store's."""

    tenant: str | None
    store_id: UUID | None = None

    def wants(self, row: FeedRow) -> bool:
        return (self.tenant is None or row.tenant == self.tenant) and (
            self.store_id is None or row.store_id == self.store_id
        )


@dataclass(frozen=True)
class Batch:
    """Everything one read of the feed found: the new events, and the rows of the stores they changed."""

    events: tuple[FeedRow, ...]
    stores: dict[UUID, StoreRow] = field(default_factory=dict)
    # Shared by the batch and every filtered copy of it, so the objects resolvers yield for an event
    # are the same for every subscriber (which lets `shared_results` execute each event once).
    memo: dict[Hashable, object] = field(default_factory=dict)

    def shared(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()`, built once for all the subscribers this batch reaches."""
        if key not in self.memo:
            self.memo[key] = make()
        return cast(T, self.memo[key])

    def for_topic(self, topic: Topic) -> Batch:
        """The part of this batch `topic` wants (possibly no event), sharing its stores and memo."""
        return Batch(tuple(row for row in self.events if topic.wants(row)), self.stores, self.memo)


class SubscriberDropped(Exception):
    """The subscriber fell too far behind; it may resubscribe from the last sequence it received."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Dropped:
    reason: str


DropCallback = Callable[[str], None]


class Outcome(enum.Enum):
    """What became of a batch offered to a `Pusher`."""

    SENT = "sent"
    BEHIND = "behind"  # written, but the reader is more pushes behind than allowed: drop it
    STRAWBERRY = "strawberry"  # not sent (a result needs awaiting): the resolver must yield it


class Pusher(Protocol):
    def deliver(self, batch: Batch) -> Outcome: ...


class Subscription:
    __slots__ = ("_backlog", "_max_batches", "_on_drop", "_parked", "_pusher", "_waiter", "dropped",
                 "on_park", "start", "topic")

    def __init__(
        self, topic: Topic, *, max_batches: int, start: int, on_drop: DropCallback | None = None
    ) -> None:
        self.topic = topic
        self.start = start  # the broadcaster's position when this subscription joined
        self.dropped: str | None = None
        self._on_drop = on_drop
        self._max_batches = max_batches
        self._backlog: list[Batch | _Dropped] = []  # oldest first; at most max_batches (+ the notice)
        self._waiter: asyncio.Future[None] | None = None  # the reader's, while the backlog is empty
        self._pusher: Pusher | None = None
        self.on_park: Callable[[], bool] | None = None
        """Asked once batches go to a pusher: True if the reader may stop now (`batches` returns),
        the subscription living on without it (`graphql_api.live.operation`)."""
        self._parked = False

    @property
    def parked(self) -> bool:
        """Whether its reader stopped for good, leaving every batch to the pusher (`on_park`)."""
        return self._parked

    @property
    def pushing(self) -> bool:
        """Whether batches go straight to the socket now (a `Pusher`) rather than to the resolver."""
        return self._pusher is not None

    def offer(self, batch: Batch) -> bool:
        """Pushes or queues `batch` (already `for_topic` of this topic) unless empty; False if
        (now) dropped."""
        if self.dropped is not None:
            return False
        if not batch.events:
            return True
        if self._pusher is not None:
            outcome = self._pusher.deliver(batch)
            if outcome is Outcome.SENT:
                return True
            if outcome is Outcome.BEHIND:
                self.drop(self._too_slow())
                return False
            self._pusher = None  # for good: this and every later batch go through the resolver
            if self._parked:  # ... which has returned: the client must resubscribe to go on
                self.drop("a live result needs the resolver this subscription no longer runs; "
                          "resubscribe with storeEvents(after: <last sequence received>)")
                return False
        if len(self._backlog) >= self._max_batches:
            self.drop(self._too_slow())
            return False
        self._put(batch)
        return True

    def _put(self, item: Batch | _Dropped) -> None:
        self._backlog.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _too_slow(self) -> str:
        return (f"subscriber too slow: more than {self._max_batches} batches behind; "
                "resubscribe with storeEvents(after: <last sequence received>)")

    def drop(self, reason: str) -> None:
        if self.dropped is not None:
            return
        self.dropped = reason
        self._backlog.clear()  # free the backlog now; the notice is all the reader gets
        self._put(_Dropped(reason))
        log.warning("dropping subscriber of %s: %s", self.topic, reason)
        if self._on_drop is not None:
            self._on_drop(reason)

    async def batches(self, pusher: Pusher | None = None) -> AsyncIterator[Batch]:
        """The batches as they come; raises SubscriberDropped once the subscriber has been dropped.

        With `pusher`, batches go to it instead as soon as none is waiting here (so what the
        caller yields itself is sent first, and order holds); it may hand one back, and from
        then on they all come here again. If `on_park` then agrees, the iteration ends instead
        of waiting: the pusher gets every later batch, and one it hands back drops the
        subscription (its reader is gone)."""
        while True:
            if pusher is not None and not self._backlog:
                self._pusher, pusher = pusher, None
                if self.on_park is not None and self.on_park():
                    self._parked = True
                    return  # the pusher has it all from here
            while not self._backlog:
                self._waiter = asyncio.get_running_loop().create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
            item = self._backlog.pop(0)  # a few dozen at most: no deque needed
            if isinstance(item, _Dropped):
                raise SubscriberDropped(item.reason)
            yield item
