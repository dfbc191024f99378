"""One active follower among many replicas: a root task that runs only while it holds a lock.

Fed by the composition root, which wraps the projection runner and the audit chain with it, so
the platform chart can run several replicas of them (`storeplane followers`): each replica waits
on a PostgreSQL session advisory lock, exactly one runs the follower, and when its session ends
(crash, network, database restart) the lock is released and a standby takes over within
`poll_seconds`. Correctness never rests on this lock — both followers track their position in the
same transaction as their writes, so two active at once still apply each event exactly once —
it only keeps the standbys from doing the same work twice.

Written here rather than taken from a library: the lock is one SQL call on a connection we keep,
and what matters is what happens around it (standing by, noticing a lost session, stopping the
follower gracefully), which is the platform's own policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg

from postgres.errors import DATABASE_ERRORS

log = logging.getLogger(__name__)

RootTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def exclusive(
    database_url: str, lock_key: int, work: RootTask, *, name: str, poll_seconds: float = 2.0
) -> RootTask:
    """`work`, run only while this process holds advisory lock `lock_key`; a standby otherwise."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await _hold_and_run(database_url, lock_key, work, name, stop, poll_seconds)
            except DATABASE_ERRORS as error:
                log.warning("%s: lock session lost (%s); standing by", name, error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=poll_seconds)

    return run


async def _hold_and_run(
    database_url: str, lock_key: int, work: RootTask, name: str, stop: asyncio.Event, poll: float
) -> None:
    conn: asyncpg.Connection = await asyncpg.connect(database_url, timeout=10, command_timeout=10)
    try:
        if not await _acquire(conn, lock_key, stop, poll):
            return
        log.info("%s: active (holds advisory lock %d)", name, lock_key)
        active = asyncio.Event()  # the follower's own stop: the platform stopping, or the lock lost
        async with asyncio.TaskGroup() as group:
            working = group.create_task(work(active), name=name)
            group.create_task(_keep_session(conn, stop, active, working, poll))
        if not stop.is_set():
            raise ConnectionError("the lock's session ended while the follower was active")
    finally:
        with contextlib.suppress(*DATABASE_ERRORS):
            await asyncio.wait_for(conn.close(), timeout=2)
        if not conn.is_closed():
            conn.terminate()


async def _acquire(conn: asyncpg.Connection, key: int, stop: asyncio.Event, poll: float) -> bool:
    """Tries the lock every `poll` seconds until it is ours (True) or the platform stops (False)."""
    while not stop.is_set():
        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll)
    return False


async def _keep_session(
    conn: asyncpg.Connection, stop: asyncio.Event, active: asyncio.Event, working: asyncio.Task[None],
    poll: float,
) -> None:
    """Checks the lock's session every `poll` seconds; a dead session stops the follower, since a
    standby may already hold the lock."""
    try:
        while not stop.is_set() and not working.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll)
            if not stop.is_set():
                await conn.fetchval("SELECT 1")
    except DATABASE_ERRORS:
        log.warning("lost the advisory lock's session; stopping the follower")
    finally:
        active.set()
