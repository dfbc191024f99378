"""The projection's quarantine: an event the read model refuses is set aside with its store's later
events, in the same transaction as the position; once the cause is fixed, a retry applies them in
order, exactly once, and a rebuild reaches the same read model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from domain.actors import Stamp
from domain.service import StoreService
from projections.quarantine import list_quarantined, retry_quarantined
from projections.queries import ReadModel
from projections.runner import ProjectionRunner
from storeplane.database import create_pool, open_service
from tests.audit.history import SYSTEM

pytestmark = pytest.mark.asyncio(loop_scope="session")
# What an operator's mistake looks like to the projection: PostgreSQL refuses the row (class 23).
REFUSE = "ALTER TABLE read_model.stores ADD CONSTRAINT not_blocked CHECK (name <> 'blocked')"


@pytest_asyncio.fixture(loop_scope="session")
async def own_pool(private_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(private_database_url, max_size=4)
    yield pool
    await pool.close()


def create(service: StoreService, name: str, tenant: str = "acme") -> object:
    store = service.create_store(tenant=tenant, name=name, engine="woocommerce", plan="small",
                                 idempotency_key=None, stamp=Stamp("tenant:acme", name))
    service.change(store.id, lambda s: s.start_provisioning(stamp=Stamp(SYSTEM, name)))
    return store.id


async def feed_of(pool: asyncpg.Pool) -> list[tuple[object, int]]:
    rows = await pool.fetch("SELECT store_id, version FROM read_model.store_events ORDER BY sequence")
    return [(r["store_id"], r["version"]) for r in rows]


async def test_a_refused_event_waits_with_its_store_and_a_retry_applies_it_once(
    private_database_url: str, own_pool: asyncpg.Pool
) -> None:
    service = open_service(private_database_url)
    try:
        await own_pool.execute(REFUSE)
        before = create(service, "before")
        blocked = create(service, "blocked")
        after = create(service, "after")
        runner = ProjectionRunner(own_pool, batch_size=1000)
        await runner.catch_up()

        model = ReadModel(own_pool)
        assert await model.store(before) is not None
        assert await model.store(after) is not None
        assert await model.store(blocked) is None
        entries = await list_quarantined(own_pool)
        assert [q.originator_id for q in entries] == [blocked, blocked]
        assert "[23514]" in entries[0].error
        assert entries[1].held_by == entries[0].position
        assert await runner.catch_up() == 0, "the position moved past them with the quarantine"

        await own_pool.execute("ALTER TABLE read_model.stores DROP CONSTRAINT not_blocked")  # the fix
        result = await retry_quarantined(own_pool)
        assert (result.applied, result.still_quarantined) == (2, 0)
        assert await list_quarantined(own_pool) == []
        row = await model.store(blocked)
        assert row is not None
        assert row.version == 2
        assert (await retry_quarantined(own_pool)).applied == 0, "nothing is applied twice"

        live = sorted(await feed_of(own_pool), key=str)
        await runner.rebuild()
        assert sorted(await feed_of(own_pool), key=str) == live, "a rebuild agrees with the retry"
        assert len(live) == len(set(live)) == 6
    finally:
        service.close()


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storeplane.cli", "projections", "quarantine", *args],
        env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, timeout=120, check=False,
    )


async def test_the_operator_lists_and_retries_the_quarantine_from_the_cli(
    private_database_url: str, own_pool: asyncpg.Pool
) -> None:
    service = open_service(private_database_url)
    try:
        await own_pool.execute(REFUSE)
        blocked = create(service, "blocked")
        await ProjectionRunner(own_pool).catch_up()
        listed = _cli(private_database_url, "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [row["originator_id"] for row in json.loads(listed.stdout)] == [str(blocked)] * 2
        still = _cli(private_database_url, "retry")
        assert (still.returncode, still.stdout.strip()) == (3, "applied 0 events; 2 still quarantined")
        await own_pool.execute("ALTER TABLE read_model.stores DROP CONSTRAINT not_blocked")
        fixed = _cli(private_database_url, "retry", str(blocked))
        assert (fixed.returncode, fixed.stdout.strip()) == (0, "applied 2 events; 0 still quarantined")
        assert _cli(private_database_url, "list").stdout.strip() == "nothing is quarantined"
    finally:
        service.close()
