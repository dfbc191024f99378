"""One subscriber's end of the broadcaster: what it wants, and a bounded queue of batches for it.

Filled by the broadcaster (never waiting: a full queue drops the subscriber); drained by a GraphQL
subscription resolver. Batches are shared between subscribers, so memory grows with the number of
batches a subscriber is behind, never with a copy of the stream per subscriber.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar, cast
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


class Subscription:
    def __init__(
        self, topic: Topic, *, max_batches: int, start: int, on_drop: DropCallback | None = None
    ) -> None:
        self.topic = topic
        self.start = start  # the broadcaster's position when this subscription joined
        self.dropped: str | None = None
        self._on_drop = on_drop
        self._queue: asyncio.Queue[Batch | _Dropped] = asyncio.Queue(maxsize=max_batches)

    def offer(self, batch: Batch) -> bool:
        """Queues `batch` (already `for_topic` of this topic) unless empty; False if (now) dropped."""
        if self.dropped is not None:
            return False
        if not batch.events:
            return True
        try:
            self._queue.put_nowait(batch)
        except asyncio.QueueFull:
            self.drop(
                f"subscriber too slow: more than {self._queue.maxsize} batches behind; "
                "resubscribe with storeEvents(after: <last sequence received>)"
            )
            return False
        return True

    def drop(self, reason: str) -> None:
        if self.dropped is not None:
            return
        self.dropped = reason
        while not self._queue.empty():  # free the backlog now, and make room for the notice
            self._queue.get_nowait()
        self._queue.put_nowait(_Dropped(reason))
        log.warning("dropping subscriber of %s: %s", self.topic, reason)
        if self._on_drop is not None:
            self._on_drop(reason)

    async def batches(self) -> AsyncIterator[Batch]:
        """The batches as they come; raises SubscriberDropped once the subscriber has been dropped."""
        while True:
            item = await self._queue.get()
            if isinstance(item, _Dropped):
                raise SubscriberDropped(item.reason)
            yield item
