"""The quota's count of live stores is exact whichever events the projection has applied: a store
requested or deleted a moment ago counts (or stops counting) before the read model shows it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from uuid import UUID

import pytest

from domain.actors import Stamp
from domain.service import StoreService
from graphql_api.quota import live_store_count
from projections.runner import ProjectionRunner
from storeplane.database import create_pool, open_service

pytestmark = pytest.mark.asyncio(loop_scope="session")
STAMP = Stamp("tenant:q/token:t", "c-quota")


async def test_the_count_follows_the_events_not_the_projection(
    make_database: Callable[[], str], tenant: str
) -> None:
    url = make_database()  # no projection runs here but the one this test drives
    service: StoreService = open_service(url)
    pool = await create_pool(url, max_size=2)
    runner = ProjectionRunner(pool, notify=False)

    async def create(name: str) -> UUID:
        store = await asyncio.to_thread(
            service.create_store, tenant=tenant, name=name, engine="medusa", plan="small",
            idempotency_key=None, stamp=STAMP,
        )
        return store.id

    async def delete(store_id: UUID) -> None:
        await asyncio.to_thread(service.delete_store, store_id, stamp=STAMP)

    try:
        projected = [await create(f"p{i}") for i in range(3)]
        await runner.catch_up()
        assert await live_store_count(pool, tenant) == 3

        await delete(projected[0])  # not projected yet
        assert await live_store_count(pool, tenant) == 2
        await delete(await create("gone-at-once"))  # requested and deleted, neither projected
        assert await live_store_count(pool, tenant) == 2
        await create("pending")
        assert await live_store_count(pool, tenant) == 3

        await runner.catch_up()
        assert await live_store_count(pool, tenant) == 3, "the read model agrees once caught up"
    finally:
        await pool.close()
        service.close()
