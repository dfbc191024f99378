"""The chain projection on a real PostgreSQL: each event chained exactly once and in order, even with
two runners at once; a checkpoint per batch; the running projection wakes on eventsourcing's NOTIFY,
checkpoints a burst once, and learns there is nothing to chain without waiting for an append."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import asyncpg
import pytest

from audit.chain import ChainProjection, signed_checkpoint_file
from audit.verify import verify
from domain.service import StoreService
from tests.audit.history import make_history

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_two_runners_at_once_chain_each_event_once_in_order(
    scratch_service: StoreService, scratch_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    make_history(scratch_service, "acme", 6)
    signed = await signed_checkpoint_file(scratch_pool, tmp_path)
    await asyncio.gather(
        ChainProjection(scratch_pool, batch_size=2, signed=signed).catch_up(),
        ChainProjection(scratch_pool, batch_size=3, signed=signed).catch_up(),
    )
    rows = await scratch_pool.fetch(
        "SELECT c.notification_id, c.ordinal FROM audit.event_chain c ORDER BY notification_id")
    events = await scratch_pool.fetchval("SELECT count(*) FROM storeplane_events")
    assert [r["ordinal"] for r in rows] == list(range(1, events + 1))
    checkpoints = await scratch_pool.fetch("SELECT position, count FROM audit_checkpoints.chain_heads")
    assert max(c["count"] for c in checkpoints) == events
    file_head = signed.read()
    assert file_head is not None
    assert (file_head.position, file_head.count) == (rows[-1]["notification_id"], events)
    assert (await verify(scratch_pool, signed=signed)).intact


async def test_the_audit_tables_refuse_updates_and_deletes(
    scratch_service: StoreService, scratch_pool: asyncpg.Pool
) -> None:
    make_history(scratch_service, "acme", 1)
    await ChainProjection(scratch_pool).catch_up()
    for statement in ("UPDATE audit.event_chain SET ordinal = ordinal + 1",
                      "DELETE FROM audit_checkpoints.chain_heads",
                      "TRUNCATE audit.event_chain"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await scratch_pool.execute(statement)


async def test_the_running_chain_reacts_to_new_events(
    audited_url: str, service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    await ChainProjection(pool).catch_up()
    stop = asyncio.Event()
    task = asyncio.create_task(ChainProjection(pool).run(stop, poll_interval=30))
    try:
        await asyncio.sleep(0.2)
        [store] = make_history(service, tenant, 1)
        query = "SELECT count(*) FROM audit.event_chain WHERE originator_id = $1"
        for _ in range(100):
            if await pool.fetchval(query, store.id) == len(list(service.history(store.id))):
                break
            await asyncio.sleep(0.05)
        assert await pool.fetchval(query, store.id) == len(list(service.history(store.id))), (
            "woken by NOTIFY, not by the 30 s poll")
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)


async def test_finding_nothing_to_chain_does_not_wait_for_an_append_in_flight(
    audited_url: str, service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    make_history(service, tenant, 1)
    await ChainProjection(pool).catch_up()
    async with pool.acquire() as append, append.transaction():
        # What an append's trigger holds from its INSERT to its commit.
        await append.execute(
            "SELECT 1 FROM audit.tracking WHERE projection = 'event_chain' FOR UPDATE")
        chained = await asyncio.wait_for(ChainProjection(pool).apply_next_batch(), timeout=3)
    assert chained == 0


async def test_the_running_chain_checkpoints_a_burst_once(
    audited_url: str, service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    await ChainProjection(pool).catch_up()
    checkpoints = "SELECT count(*) FROM audit_checkpoints.chain_heads"
    before = await pool.fetchval(checkpoints)
    stop = asyncio.Event()
    task = asyncio.create_task(ChainProjection(pool).run(stop, poll_interval=30, settle=1.0))
    try:
        await asyncio.sleep(0.2)
        for i in range(6):  # six appends, 50 ms apart: six NOTIFYs the running chain sees apart
            await asyncio.to_thread(make_history, service, f"{tenant}-{i}", 1)
            await asyncio.sleep(0.05)
        last = await pool.fetchval("SELECT max(notification_id) FROM storeplane_events")
        head = "SELECT max(position) FROM audit_checkpoints.chain_heads"
        for _ in range(100):
            if await pool.fetchval(head) == last:
                break
            await asyncio.sleep(0.05)
        assert await pool.fetchval(head) == last
        assert await pool.fetchval(checkpoints) - before <= 2
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)
