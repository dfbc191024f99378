"""Every follower of PostgreSQL resumes after the database restarts: the projection runner, the
audit chain's checkpointer (which, before `postgres.follower`, never listened again), the
reconciler's wake-up and the API broadcaster — and `listening` says when the LISTEN is down.

Each consumer runs with an hour-long poll, so what it does after the restart comes from its
reconnection (catch-up, then NOTIFY), never from the poll."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

import pytest

from audit.chain import ChainProjection, signed_checkpoint_file
from graphql_api.live.broadcaster import Broadcaster
from graphql_api.live.subscription import Topic
from postgres.errors import DATABASE_ERRORS
from projections.queries import ReadModel
from projections.runner import ProjectionRunner
from reconciler.cluster.charts import ChartSource
from reconciler.dispatcher import Dispatcher
from reconciler.settings import ReconcilerSettings
from reconciler.worker import Worker
from storeplane.database import create_pool, open_service, setup_schema
from storeplane.local_postgres import LocalPostgres
from tests.audit.history import make_history

pytestmark = pytest.mark.asyncio(loop_scope="session")
HOUR = 3600.0
PATIENCE = 60.0  # a guard against hanging, not a speed requirement


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    async def poll() -> None:
        while True:
            with contextlib.suppress(*DATABASE_ERRORS):
                if await check():
                    return
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), timeout=PATIENCE)
    except TimeoutError:
        pytest.fail(f"never happened: {what}")


async def test_every_follower_resumes_after_a_database_restart(tmp_path: Path) -> None:
    server = LocalPostgres(tmp_path / "pg", durable=False)
    url = server.start()
    setup_schema(url)
    pool = await create_pool(url, max_size=8)
    signed = await signed_checkpoint_file(pool, tmp_path)
    broadcaster = Broadcaster(url, ReadModel(pool), poll_interval=HOUR)
    # The wake-up path (`_listen_forever`) never touches the worker: nothing else of it runs here.
    dispatcher = Dispatcher(pool=pool, worker=cast(Worker, None), holder="test",
                            settings=ReconcilerSettings(charts=ChartSource.from_directory()))
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(ProjectionRunner(pool).run(stop, poll_interval=HOUR)),
        asyncio.create_task(ChainProjection(pool, signed=signed).run(stop, poll_interval=HOUR)),
        asyncio.create_task(broadcaster.run(stop)),
        asyncio.create_task(dispatcher._listen_forever()),
    ]
    try:
        await broadcaster.connected.wait()
        async with broadcaster.subscribe(Topic(tenant=None)) as subscription:
            await asyncio.to_thread(server.stop)
            await eventually(lambda: _false(broadcaster.listening), "the LISTEN reported down")
            await asyncio.to_thread(server.start)
            await eventually(lambda: _true(broadcaster.listening), "the LISTEN reported up again")
            dispatcher.wake.clear()

            writer = await asyncio.to_thread(open_service, url)  # a fresh one, as another process
            try:
                [store] = await asyncio.to_thread(make_history, writer, f"t-{uuid.uuid4().hex[:8]}", 1)
            finally:
                writer.close()
            newest = await pool.fetchval("SELECT max(notification_id) FROM storeplane_events")

            async def projected() -> bool:
                return bool(await pool.fetchval("SELECT position FROM read_model.tracking") == newest)

            async def checkpointed() -> bool:
                head = await pool.fetchval("SELECT max(position) FROM audit_checkpoints.chain_heads")
                read = await asyncio.to_thread(signed.read)
                return head == newest and read is not None and read.position == newest

            await eventually(projected, "the projection applied the events written after the restart")
            await eventually(checkpointed, "the chain checkpointed the head after the restart")
            await eventually(lambda: _true(dispatcher.wake.is_set()), "the reconciler was woken")
            batch = await asyncio.wait_for(anext(subscription.batches()), timeout=PATIENCE)
            assert {row.store_id for row in batch.events} == {store.id}, "pushed after the restart"
    finally:
        stop.set()
        tasks[-1].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await pool.close()
        server.stop()


async def _true(value: bool) -> bool:
    return value


async def _false(value: bool) -> bool:
    return not value
