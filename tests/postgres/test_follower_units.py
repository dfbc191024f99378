"""The follower on its own, on the suite's PostgreSQL: the handler runs once on connecting (the
catch-up), again on each NOTIFY, and again after its LISTEN connection is killed under it (it
reconnects at once, not at the next poll)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from postgres.follower import Follower
from tests.postgres.test_follower import PATIENCE

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_connect_notify_and_a_killed_connection_each_run_the_handler(pool: asyncpg.Pool) -> None:
    channel = f"follower_test_{uuid.uuid4().hex[:8]}"
    runs = asyncio.Queue[int]()
    count = 0

    async def handler() -> None:
        nonlocal count
        count += 1
        runs.put_nowait(count)

    follower = Follower(pool, channel, handler, poll_interval=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(stop))
    try:
        assert await asyncio.wait_for(runs.get(), PATIENCE) == 1, "the catch-up on connecting"
        assert follower.listening
        await pool.execute(f"NOTIFY {channel}")
        assert await asyncio.wait_for(runs.get(), PATIENCE) == 2, "woken by the NOTIFY"

        killed = await pool.fetchval(
            "SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE $1",
            f'LISTEN "{channel}"%')
        assert killed, "the LISTEN connection was found and terminated"
        assert await asyncio.wait_for(runs.get(), PATIENCE) == 3, "caught up again after reconnecting"
        await pool.execute(f"NOTIFY {channel}")
        assert await asyncio.wait_for(runs.get(), PATIENCE) == 4, "and listening again"
        assert follower.listening
    finally:
        stop.set()
        await asyncio.wait_for(task, PATIENCE)
    assert not follower.listening


async def test_a_connection_left_mid_operation_by_a_killed_server_is_survived(pool: asyncpg.Pool) -> None:
    """asyncpg raises `InternalClientError` on a connection whose server died while it was still
    reading an error; the follower must treat it as a lost database and run its handler again."""
    runs = asyncio.Queue[int]()
    count = 0

    async def handler() -> None:
        nonlocal count
        count += 1
        runs.put_nowait(count)
        if count == 1:
            raise asyncpg.InternalClientError(
                "cannot switch to state 11; another operation (2) is in progress"
            )

    follower = Follower(pool, f"follower_test_{uuid.uuid4().hex[:8]}", handler, poll_interval=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(stop))
    try:
        assert await asyncio.wait_for(runs.get(), PATIENCE) == 1
        assert await asyncio.wait_for(runs.get(), PATIENCE) == 2, "reconnected and caught up again"
        assert not task.done()
    finally:
        stop.set()
        await asyncio.wait_for(task, PATIENCE)
