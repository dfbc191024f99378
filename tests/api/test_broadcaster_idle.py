"""With nobody subscribed, the broadcaster follows the projection's position without reading the
feed; whoever subscribes afterwards, or while it moves, still gets every event after joining."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg
import pytest

from domain.actors import Stamp
from domain.service import StoreService
from graphql_api.live.broadcaster import Broadcaster
from graphql_api.live.subscription import Subscription, Topic
from projections.event_feed import FeedRow
from projections.queries import ReadModel
from projections.runner import ProjectionRunner

pytestmark = pytest.mark.asyncio(loop_scope="session")
PATIENCE = 30.0  # a guard against hanging, not a speed requirement


class WatchedReadModel(ReadModel):
    """The real read model, counting feed reads, and able to hold a position read half-way."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool)
        self.feed_reads = 0
        self.hold: asyncio.Event | None = None  # when given, a position read waits for it to be set
        self.holding = asyncio.Event()  # set once a position read is waiting
        self.position_read = asyncio.Event()

    async def events(self, **kwargs: object) -> list[FeedRow]:  # type: ignore[override]
        self.feed_reads += 1
        return await super().events(**kwargs)  # type: ignore[arg-type]

    async def position(self, projection: str = "stores") -> int:
        value = await super().position(projection)
        if self.hold is not None:
            self.holding.set()
            await self.hold.wait()
        self.position_read.set()
        return value


@asynccontextmanager
async def running(
    database_url: str, pool: asyncpg.Pool
) -> AsyncIterator[tuple[Broadcaster, WatchedReadModel]]:
    """A broadcaster of its own on a watched read model, from the projection's current position."""
    await ProjectionRunner(pool).catch_up()
    read_model = WatchedReadModel(pool)
    broadcaster = Broadcaster(database_url, read_model, poll_interval=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(broadcaster.run(stop))
    try:
        await asyncio.wait_for(broadcaster.connected.wait(), PATIENCE)
        yield broadcaster, read_model
    finally:
        stop.set()
        await asyncio.wait_for(task, PATIENCE)


async def create(service: StoreService, pool: asyncpg.Pool, tenant: str, name: str) -> UUID:
    store = await asyncio.to_thread(
        service.create_store, tenant=tenant, name=name, engine="woocommerce", plan="small",
        idempotency_key=None, stamp=Stamp(f"tenant:{tenant}", "c"))
    await ProjectionRunner(pool).catch_up()
    return store.id


async def followed(broadcaster: Broadcaster, read_model: WatchedReadModel, position: int) -> None:
    """Returns once the broadcaster has moved to `position` (another test's notification may move
    it part of the way first)."""
    while broadcaster.position is None or broadcaster.position < position:
        read_model.position_read.clear()
        await asyncio.wait_for(read_model.position_read.wait(), PATIENCE)


async def stores_in_next_batch(subscription: Subscription) -> set[UUID]:
    batch = await asyncio.wait_for(anext(subscription.batches()), PATIENCE)
    return {row.store_id for row in batch.events}


async def test_nobody_subscribed_reads_no_feed_and_a_later_subscriber_sees_only_what_follows(
    database_url: str, pool: asyncpg.Pool, service: StoreService, tenant: str
) -> None:
    async with running(database_url, pool) as (broadcaster, read_model):
        await create(service, pool, tenant, "unwatched")
        projected = await ReadModel(pool).position()
        await followed(broadcaster, read_model, projected)
        assert read_model.feed_reads == 0, "nobody was subscribed, so the feed was not read"

        async with broadcaster.subscribe(Topic(tenant=tenant)) as subscription:
            assert subscription.start >= projected
            watched = await create(service, pool, tenant, "watched")
            assert await stores_in_next_batch(subscription) == {watched}
        assert read_model.feed_reads > 0


async def test_a_subscriber_joining_while_the_position_moves_misses_nothing(
    database_url: str, pool: asyncpg.Pool, service: StoreService, tenant: str
) -> None:
    async with running(database_url, pool) as (broadcaster, read_model):
        read_model.hold = hold = asyncio.Event()
        early = await create(service, pool, tenant, "committed-while-joining")
        await asyncio.wait_for(read_model.holding.wait(), PATIENCE)  # notified, reading the position
        async with broadcaster.subscribe(Topic(tenant=tenant)) as subscription:
            read_model.hold = None
            hold.set()
            assert subscription.start < await ReadModel(pool).position()
            assert await stores_in_next_batch(subscription) == {early}, (
                "joined from the old position, so it gets the event the broadcaster was moving past")
