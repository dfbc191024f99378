"""Subscription resolvers: a store's (or all the caller's stores') changes, and the event feed.

Fed by the process's broadcaster (`graphql_api.live`); each resolver joins it with the caller's
tenant as the topic, so a tenant never receives another tenant's events. `storeEvents` first reads
the feed from `after`, then continues live, skipping what the catch-up already sent: no gap, no
duplicate, because sequences only grow. Live results go to the socket from the broadcaster's loop
(`graphql_api.live.push`) once what a resolver yields itself is sent; each resolver's `Feed` says
what a batch holds for it, on either path.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Hashable
from uuid import UUID

import strawberry
from strawberry.types import Info

from graphql_api.caller import Caller
from graphql_api.context import ApiContext
from graphql_api.errors import ApiError, Code
from graphql_api.live.operation import CURRENT_OPERATION
from graphql_api.live.push import DirectPush, Feed, direct_push
from graphql_api.live.subscription import Batch, SubscriberDropped, Topic
from graphql_api.live.subscription import Subscription as LiveSubscription
from graphql_api.schema.fields import subscription
from graphql_api.schema.lookup import parse_store_id, visible_store
from graphql_api.schema.types import StoreEvent, StoreNode

Ctx = Info[ApiContext, None]
_CATCH_UP_PAGE = 500


def _too_slow(error: SubscriberDropped, last: int) -> ApiError:
    return ApiError(Code.RATE_LIMITED, error.reason, reason="SLOW_SUBSCRIBER", resumeAfter=last)


async def _catch_up(
    context: ApiContext, caller: Caller, store: UUID | None, after: int
) -> AsyncGenerator[StoreEvent, None]:
    while True:
        rows = await context.services.read_model.events(
            after=after, store_id=store, tenant=caller.scope, limit=_CATCH_UP_PAGE
        )
        for row in rows:
            yield StoreEvent.from_row(row)
        if len(rows) < _CATCH_UP_PAGE:
            return
        after = rows[-1].sequence


def _changed_stores(batch: Batch) -> list[StoreNode]:
    """Each store the batch touched, once, as it is after the batch (in order of first change)."""
    seen: dict[UUID, None] = dict.fromkeys(row.store_id for row in batch.events)
    return [
        batch.shared(("store", i), functools.partial(StoreNode.from_row, batch.stores[i]))
        for i in seen if i in batch.stores
    ]


class _ChangedStores:
    """What `storeUpdated` sends of a batch: each store it touched."""

    def select(self, batch: Batch) -> list[StoreNode]:
        return _changed_stores(batch)

    def position(self, batch: Batch) -> Hashable:
        return None

    def sent(self, batch: Batch) -> None:
        pass


class _EventsAfter:
    """What `storeEvents` sends of a batch: its events after the last one sent (by the catch-up,
    or an earlier batch), which is what makes catch-up + live free of gaps and duplicates."""

    def __init__(self, last: int) -> None:
        self.last = last

    def select(self, batch: Batch) -> list[StoreEvent]:
        return [
            batch.shared(("event", row.sequence), functools.partial(StoreEvent.from_row, row))
            for row in batch.events if row.sequence > self.last
        ]

    def position(self, batch: Batch) -> Hashable:
        # Only a cursor inside the batch changes what is selected (after a catch-up that read
        # part of it); every other subscriber of the topic selects the whole batch.
        return self.last if batch.events and self.last >= batch.events[0].sequence else None

    def sent(self, batch: Batch) -> None:
        if batch.events and batch.events[-1].sequence > self.last:
            self.last = batch.events[-1].sequence


def _pusher(context: ApiContext, feed: Feed) -> DirectPush | None:
    return direct_push(
        context.request, feed, metrics=context.services.metrics,
        max_behind=context.services.config.subscriber_queue_batches,
    )


class _Live:
    """The broadcaster's subscription for a resolver's block, counted in the metrics while it lasts.

    A class rather than an `asynccontextmanager` for the reason `Joined` gives: the block lasts as
    long as the subscription. Or longer: once its results are pushed directly, a graphql-transport-ws
    operation is parked (`graphql_api.live.operation`), the resolver returns, and the subscription
    lives on until the operation ends."""

    __slots__ = ("_joined", "_metrics", "_subscription")

    def __init__(self, context: ApiContext, topic: Topic) -> None:
        self._metrics = context.services.metrics
        self._joined = context.services.broadcaster.subscribe(topic, on_drop=context.close_connection)
        self._subscription: LiveSubscription | None = None

    async def __aenter__(self) -> LiveSubscription:
        self._subscription = subscription = await self._joined.__aenter__()
        self._metrics.subscriptions.inc()
        subscription.on_park = self._park
        return subscription

    def _park(self) -> bool:
        operation = CURRENT_OPERATION.get()
        return operation is not None and operation.park(self._release)

    def _release(self) -> None:
        self._metrics.subscriptions.dec()
        self._joined.leave()

    async def __aexit__(self, *exc: object) -> None:
        if self._subscription is not None and not self._subscription.parked:
            self._release()


@strawberry.type
class Subscription:
    @subscription(
        "The store each time it changes (first as it is now), or, without `id`, each "
        "change of any of the caller's stores. Several events applied together give one update."
    )
    async def store_updated(
        self, info: Ctx, id: strawberry.ID | None = None
    ) -> AsyncGenerator[StoreNode, None]:
        context = info.context
        caller = context.caller()
        wanted = parse_store_id(id) if id is not None else None
        async with _Live(context, Topic(caller.scope, wanted)) as subscription:
            # Read after joining: a change in between is then sent twice, never missed.
            if wanted is not None:
                yield await visible_store(context, caller, wanted)
            feed = _ChangedStores()
            try:
                async for batch in subscription.batches(_pusher(context, feed)):
                    for store in feed.select(batch):
                        yield store
            except SubscriberDropped as error:
                raise _too_slow(error, subscription.start) from None

    @subscription(
        "Store events after sequence `after` (from the feed), then live ones as they are "
        "committed, with no gap and no duplicate. Without `after`, only new events; without "
        "`storeId`, the events of all the caller's stores."
    )
    async def store_events(
        self, info: Ctx, store_id: strawberry.ID | None = None, after: int | None = None
    ) -> AsyncGenerator[StoreEvent, None]:
        context = info.context
        caller = context.caller()
        wanted = parse_store_id(store_id, "storeId") if store_id is not None else None
        if wanted is not None:
            await visible_store(context, caller, wanted)
        async with _Live(context, Topic(caller.scope, wanted)) as subscription:
            last = subscription.start if after is None else after
            if after is not None:
                async for event in _catch_up(context, caller, wanted, after):
                    yield event
                    last = event.sequence
            feed = _EventsAfter(last)
            try:
                async for batch in subscription.batches(_pusher(context, feed)):
                    for event in feed.select(batch):
                        yield event
                    feed.sent(batch)
            except SubscriberDropped as error:
                raise _too_slow(error, feed.last) from None
