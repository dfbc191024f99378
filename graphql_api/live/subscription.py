"""One subscriber's end of the broadcaster: what it wants, and a bounded queue of batches for it.

Filled by the broadcaster (never waiting: a full queue drops the subscriber); drained by a GraphQL
subscription resolver. Batches are shared between subscribers, so memory grows with the number of
batches a subscriber is behind, never with a copy of the stream per subscriber.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from uuid import UUID

from projections.event_feed import FeedRow
from projections.store_view import StoreRow

log = logging.getLogger(__name__)


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
        """Queues what this subscriber wants from `batch`; False if it is (now) dropped."""
        if self.dropped is not None:
            return False
        wanted = tuple(row for row in batch.events if self.topic.wants(row))
        if not wanted:
            return True
        try:
            self._queue.put_nowait(Batch(wanted, batch.stores))
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
