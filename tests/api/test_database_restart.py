"""A PostgreSQL restart during an open subscription loses no event: the broadcaster reconnects and
catches up from the last sequence it saw. While the database is down, clients get INTERNAL errors
(no stack trace), and the API answers again once it is back."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from uuid import UUID

import pytest
import pytest_asyncio

from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store
from graphql_api.tokens import TokenStore
from projections.runner import ProjectionRunner
from storeplane.database import open_service, setup_schema
from storeplane.local_postgres import LocalPostgres
from tests.api.client import Api, error_codes, subscribed
from tests.api.conftest import TEST_CONFIG, Running, serving
from tests.api.documents import CREATE, STORE_EVENTS, STORES, create_input

pytestmark = pytest.mark.asyncio(loop_scope="session")
SYSTEM = "system:reconciler"
# No polling safety net: what the subscriber gets comes from NOTIFYs or from the reconnect catch-up.
NO_POLLING = dataclasses.replace(TEST_CONFIG, live_poll_seconds=3600)


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[LocalPostgres]:
    """A server of this test's own: stopping it disturbs no other test."""
    server = LocalPostgres(tmp_path / "pg", durable=False)
    setup_schema(server.start())
    yield server
    server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def own_api(own_postgres: LocalPostgres) -> AsyncIterator[tuple[Running, StoreService]]:
    service = open_service(own_postgres.url())
    try:
        async with serving(own_postgres.url(), service, NO_POLLING, runner=False) as running:
            yield running, service
    finally:
        service.close()


def start(store: Store) -> None:
    store.start_provisioning(stamp=Stamp(SYSTEM, "c"))


def note(text: str) -> Callable[[Store], None]:
    return lambda s: s.note_progress(reason=text, stamp=Stamp(SYSTEM, "c"))


async def test_a_restart_mid_subscription_loses_no_event(
    own_api: tuple[Running, StoreService], own_postgres: LocalPostgres, tenant: str
) -> None:
    running, service = own_api
    api: Api = running.api
    pool = running.services.read_model.pool
    _, token = await TokenStore(pool).create(tenant=tenant)
    store_id = (await api.data(CREATE, create_input("durable"), token))["createStore"]["store"]["id"]

    async with subscribed(api, STORE_EVENTS, {"storeId": store_id, "after": 0}, token) as feed:
        await ProjectionRunner(pool).catch_up()
        received = [(await feed.next())["storeEvents"]]
        # Projected without a NOTIFY just before the database goes down: the broadcaster can only
        # learn of it by catching up from its last sequence once it has reconnected.
        await asyncio.to_thread(service.change, UUID(store_id), start)
        await ProjectionRunner(pool, notify=False).catch_up()

        await asyncio.to_thread(own_postgres.stop)
        down = await api.post(STORES, token=token)
        assert error_codes(down) == ["INTERNAL"]
        assert "Traceback" not in str(down)
        await asyncio.to_thread(own_postgres.start)

        received.append((await feed.next())["storeEvents"])
        # And live again. A fresh writer, as another process would be: the old one's psycopg pool
        # takes tens of seconds to recover from a restart (the event store's business, not ours).
        writer = await asyncio.to_thread(open_service, own_postgres.url())
        try:
            for i in range(3):
                await asyncio.to_thread(writer.change, UUID(store_id), note(f"after restart {i}"))
        finally:
            writer.close()
        await ProjectionRunner(pool).catch_up()
        received += [(await feed.next())["storeEvents"] for _ in range(3)]

    assert [e["version"] for e in received] == [1, 2, 3, 4, 5]
    feed_rows = await running.services.read_model.events(store_id=UUID(store_id))
    assert [e["sequence"] for e in received] == [row.sequence for row in feed_rows]
    assert "errors" not in await api.post(STORES, token=token)


async def test_readyz_does_not_tell_anyone_the_database_error(
    own_api: tuple[Running, StoreService], own_postgres: LocalPostgres
) -> None:
    """Before, `/readyz` answered the driver's error text (host, port, role) to anyone."""
    running, _ = own_api
    await asyncio.to_thread(own_postgres.stop)
    try:
        response = await running.api.http.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"ready": False, "database": "unavailable"}
    finally:
        await asyncio.to_thread(own_postgres.start)
