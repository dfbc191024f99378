"""One subscriber cannot stop the live feed for the others: a subscriber whose drop callback raises
(dropped for falling behind) is dropped alone, and the next batch still reaches everyone else.
Before, the exception ended the broadcaster, and the API with it."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from domain.actors import Stamp
from domain.service import StoreService
from graphql_api.live.broadcaster import Broadcaster
from graphql_api.live.subscription import Topic
from projections.queries import ReadModel
from projections.runner import ProjectionRunner

pytestmark = pytest.mark.asyncio(loop_scope="session")
PATIENCE = 30.0  # a guard against hanging, not a speed requirement


def failing_drop(reason: str) -> None:
    raise RuntimeError(f"the websocket could not be closed ({reason})")


async def test_a_failing_subscriber_is_dropped_alone(
    database_url: str, pool: asyncpg.Pool, service: StoreService, tenant: str
) -> None:
    await ProjectionRunner(pool).catch_up()
    broadcaster = Broadcaster(database_url, ReadModel(pool), max_batches=1, poll_interval=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(broadcaster.run(stop))
    try:
        await broadcaster.connected.wait()
        topic = Topic(tenant=tenant)
        async with broadcaster.subscribe(topic, on_drop=failing_drop) as stuck, \
                broadcaster.subscribe(topic) as reader:
            batches = reader.batches()
            for round_ in range(3):  # the stuck one holds one batch, overflows on the second
                store = await asyncio.to_thread(
                    service.create_store, tenant=tenant, name=f"shop-{round_}", engine="woocommerce",
                    plan="small", idempotency_key=None, stamp=Stamp(f"tenant:{tenant}", "c"))
                await ProjectionRunner(pool).catch_up()
                batch = await asyncio.wait_for(anext(batches), PATIENCE)
                assert store.id in {row.store_id for row in batch.events}, f"round {round_}"
            assert stuck.dropped is not None
        assert not task.done(), "the broadcaster is still running"
    finally:
        stop.set()
        await asyncio.wait_for(task, PATIENCE)
