"""`/readyz` tells the truth about the live feed: ready only while the broadcaster's LISTEN is up
right now (it said "up" for good once it had connected once), with the reason when it is not."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from domain.service import StoreService
from graphql_api.readiness import readiness
from graphql_api.server import build_services
from tests.api.conftest import TEST_CONFIG

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_ready_only_while_the_live_feed_listens(
    database_url: str, pool: asyncpg.Pool, service: StoreService
) -> None:
    services = build_services(database_url=database_url, pool=pool, service=service, config=TEST_CONFIG)
    stop = asyncio.Event()
    listening = asyncio.create_task(services.broadcaster.run(stop))
    try:
        await services.broadcaster.connected.wait()
        up = await readiness(services)
        assert up.ready, up.body
        assert up.body["live"] is True
    finally:
        stop.set()
        await listening
    down = await readiness(services)
    assert not down.ready, "the LISTEN is gone, yet ready"
    assert down.body["database"] == "ok"
    assert any("LISTEN on storeplane_read_model is down" in r for r in down.body["degraded"])
