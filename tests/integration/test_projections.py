"""The read model on a real PostgreSQL: live processing equals a rebuild, nothing is applied twice,
and every batch is announced with a NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import asyncpg
import pytest

from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store
from postgres.errors import DATABASE_ERRORS
from projections.queries import ReadModel, StoreFilter
from projections.runner import ProjectionRunner
from projections.schema import READ_MODEL_CHANNEL
from storeplane.database import create_pool, open_service, setup_schema
from storeplane.local_postgres import LocalPostgres

pytestmark = pytest.mark.asyncio(loop_scope="session")
SYSTEM = "system:reconciler"


def make_history(service: StoreService, tenant: str, count: int) -> list[Store]:
    stores = []
    for i in range(count):
        store = service.create_store(
            tenant=tenant, name=f"shop-{i}", engine="medusa" if i % 2 else "woocommerce",
            plan="small", idempotency_key=None, stamp=Stamp("tenant:t", f"c-{i}"),
        )
        service.change(store.id, lambda s: s.start_provisioning(stamp=Stamp(SYSTEM, "c")))
        if i % 3 == 0:
            service.change(
                store.id, lambda s: s.record_ready(url="http://u", check="", stamp=Stamp(SYSTEM, "c"))
            )
        if i % 4 == 0:
            service.delete_store(store.id, stamp=Stamp("tenant:t", "c"))
        stores.append(store)
    return stores


async def snapshot(pool: asyncpg.Pool) -> tuple[list[tuple[object, ...]], ...]:
    stores = await pool.fetch("SELECT * FROM read_model.stores ORDER BY id")
    events = await pool.fetch("SELECT * FROM read_model.store_events ORDER BY sequence")
    tracking = await pool.fetch("SELECT * FROM read_model.tracking ORDER BY projection")
    return ([tuple(r) for r in stores], [tuple(r) for r in events], [tuple(r) for r in tracking])


async def test_the_live_read_model_equals_a_rebuild_from_event_one(
    own_service: StoreService, own_pool: asyncpg.Pool, tenant: str
) -> None:
    make_history(own_service, tenant, 12)
    runner = ProjectionRunner(own_pool, batch_size=7)
    await runner.catch_up()
    live = await snapshot(own_pool)
    assert await runner.rebuild() > 0
    assert await snapshot(own_pool) == live


async def test_a_restart_mid_stream_applies_nothing_twice(
    own_service: StoreService, own_pool: asyncpg.Pool, tenant: str
) -> None:
    stores = make_history(own_service, tenant, 6)
    first = ProjectionRunner(own_pool, batch_size=3)
    assert await first.apply_next_batch() == 3
    # A new process takes over where the first stopped (its position is in the tracking row).
    second = ProjectionRunner(own_pool, batch_size=4)
    await second.catch_up()
    feed = await ReadModel(own_pool).events(tenant=tenant, limit=10_000)
    expected = sum(len(list(own_service.history(s.id))) for s in stores)
    assert len(feed) == expected
    assert len({(r.store_id, r.version) for r in feed}) == expected


async def test_two_runners_at_once_apply_each_event_exactly_once(
    service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    stores = make_history(service, tenant, 8)
    await asyncio.gather(
        ProjectionRunner(pool, batch_size=2).catch_up(),
        ProjectionRunner(pool, batch_size=3).catch_up(),
    )
    feed = await ReadModel(pool).events(tenant=tenant, limit=10_000)
    assert len(feed) == sum(len(list(service.history(s.id))) for s in stores)


async def test_the_read_model_shows_current_status_and_filters_by_tenant(
    service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    make_history(service, tenant, 5)
    await ProjectionRunner(pool).catch_up()
    model = ReadModel(pool)
    rows = await model.stores(StoreFilter(tenant=tenant), first=100)
    assert sorted(r.name for r in rows) == [f"shop-{i}" for i in range(5)]
    assert {r.status for r in rows if r.name == "shop-0"} == {"deleting"}
    assert {r.status for r in rows if r.name == "shop-3"} == {"ready"}
    ready = await model.stores(StoreFilter(tenant=tenant, statuses=("ready",)), first=100)
    assert [r.name for r in ready] == ["shop-3"]
    assert await model.stores(StoreFilter(tenant=f"{tenant}-nobody"), first=100) == []


async def test_each_batch_is_announced_with_its_position(
    own_service: StoreService, own_pool: asyncpg.Pool, private_database_url: str, tenant: str
) -> None:
    received: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(private_database_url)
    await listener.add_listener(READ_MODEL_CHANNEL, lambda *args: received.put_nowait(args[-1]))
    try:
        make_history(own_service, tenant, 1)
        await ProjectionRunner(own_pool).catch_up()
        payload = await asyncio.wait_for(received.get(), timeout=5)
        assert int(payload) == await ReadModel(own_pool).position()
    finally:
        await listener.close()


async def test_a_live_batch_is_one_transaction_of_six_statements_and_no_second_look(
    own_service: StoreService, private_database_url: str, tenant: str
) -> None:
    """The live path's round trips, from asyncpg's own query log of the one connection the runner
    uses: no savepoint (two round trips), the position and its NOTIFY in one statement, the feed
    in one INSERT, and no second, empty batch after a short one."""
    pool = await create_pool(private_database_url, min_size=1, max_size=1)
    runner = ProjectionRunner(pool)

    def create(name: str) -> None:
        own_service.create_store(
            tenant=tenant, name=name, engine="medusa", plan="small", idempotency_key=None,
            stamp=Stamp("tenant:t", name),
        )

    statements: list[str] = []
    try:
        create("first")  # its batch prepares the statements, and asyncpg learns the array types
        await runner.catch_up()
        async with pool.acquire() as conn:
            conn.add_query_logger(lambda record: statements.append(" ".join(record.query.split()[:2])))
        create("second")
        assert await runner.catch_up() == 2  # the store and its name's reservation
        assert statements == [
            "SELECT pg_advisory_unlock_all();",  # asyncpg resets the connection on release
            "BEGIN;", "SELECT position", "SELECT notification_id,", "SELECT originator_id,",
            "INSERT INTO", "INSERT INTO", "WITH saved", "COMMIT;",
            "SELECT pg_advisory_unlock_all();",
        ]
        assert await ReadModel(pool).count(StoreFilter(tenant=tenant)) == 2
    finally:
        await pool.close()


async def test_the_running_projection_reacts_to_new_events(
    service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(ProjectionRunner(pool).run(stop, poll_interval=30))
    try:
        await asyncio.sleep(0.2)
        [store] = make_history(service, tenant, 1)
        model = ReadModel(pool)
        for _ in range(100):
            if await model.store(store.id):
                break
            await asyncio.sleep(0.05)
        assert await model.store(store.id) is not None, "woken by NOTIFY, not by the 30 s poll"
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)


async def test_the_running_projection_survives_a_database_restart(tmp_path: Path, tenant: str) -> None:
    server = LocalPostgres(tmp_path / "pg", durable=False)
    url = server.start()
    setup_schema(url)
    pool = await create_pool(url, max_size=4)
    stop = asyncio.Event()
    task = asyncio.create_task(ProjectionRunner(pool).run(stop, poll_interval=0.2))
    try:
        server.stop()
        await asyncio.sleep(0.5)
        server.start()
        service = open_service(url)
        try:
            [store] = make_history(service, tenant, 1)
        finally:
            service.close()
        model = ReadModel(pool)
        for _ in range(200):
            with contextlib.suppress(*DATABASE_ERRORS):
                if await model.store(store.id):
                    break
            await asyncio.sleep(0.05)
        assert await model.store(store.id) is not None
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        await pool.close()
        server.stop()
