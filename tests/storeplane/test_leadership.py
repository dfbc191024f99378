"""Among replicas of a follower, exactly one is active, and a standby takes over when it goes.

Given two replicas of one follower on a real PostgreSQL, when both start, then one runs and one
stands by; when the active one's lock session is killed, then the standby runs and the first stops.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest

from storeplane.leadership import exclusive

pytestmark = pytest.mark.asyncio(loop_scope="session")
KEY = 99_000_123


async def _eventually(condition: object, what: str, within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_one_replica_is_active_and_a_standby_takes_over(database_url: str) -> None:
    active: set[str] = set()

    def follower(name: str):  # type: ignore[no-untyped-def]
        async def work(stop: asyncio.Event) -> None:
            active.add(name)
            try:
                await stop.wait()
            finally:
                active.discard(name)
        return work

    stop = asyncio.Event()
    replicas = {
        name: asyncio.create_task(
            exclusive(database_url, KEY, follower(name), name=name, poll_seconds=0.2)(stop)
        )
        for name in ("first", "second")
    }
    try:
        await _eventually(lambda: len(active) == 1, "one active replica")
        await asyncio.sleep(1.0)
        assert len(active) == 1, "the standby must not run while the lock is held"
        [holder] = active
        conn = await asyncpg.connect(database_url)
        try:
            killed = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
                "WHERE locktype = 'advisory' AND objid = $1 AND granted", KEY,
            )
        finally:
            await conn.close()
        assert killed == 1
        other = ({"first", "second"} - {holder}).pop()
        await _eventually(lambda: active == {other}, f"{other} to take over")
    finally:
        stop.set()
        for task in replicas.values():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)
    assert active == set()
