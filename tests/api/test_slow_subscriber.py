"""A subscriber that stops reading is dropped with a clear close reason, while a subscriber to the
same store keeps receiving every event: one slow reader neither slows the others nor grows memory."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from uuid import UUID

import pytest
from websockets.exceptions import ConnectionClosed

from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store
from graphql_api.tokens import TokenStore
from tests.api.client import Api, Subscriber, subscribed
from tests.api.conftest import TEST_CONFIG, serving
from tests.api.documents import CREATE, STORE_EVENTS, create_input

pytestmark = pytest.mark.asyncio(loop_scope="session")
LONG_NOTE = "x" * 4000  # big pushes fill the slow reader's socket buffers in tens of events


async def dropped_count(api: Api) -> float:
    metrics = (await api.http.get("/metrics")).text
    for line in metrics.splitlines():
        if line.startswith('storeplane_api_live_total{event="dropped"}'):
            return float(line.split()[-1])
    return 0.0


async def read_until_closed(subscriber: Subscriber) -> None:
    while True:
        await subscriber.message()


async def test_a_reader_that_falls_behind_is_dropped_and_others_get_everything(
    database_url: str, service: StoreService, tenant: str
) -> None:
    config = dataclasses.replace(TEST_CONFIG, subscriber_queue_batches=2, max_live_stores=10)
    async with serving(database_url, service, config, send_buffer=8192) as running:
        api = running.api
        _, token = await TokenStore(running.services.read_model.pool).create(tenant=tenant)
        store_id = (await api.data(CREATE, create_input("busy"), token))["createStore"]["store"]["id"]

        def start(store: Store) -> None:
            store.start_provisioning(stamp=Stamp("system:reconciler", "c"))

        await asyncio.to_thread(service.change, UUID(store_id), start)

        def note(i: int) -> Callable[[Store], None]:
            def command(store: Store) -> None:  # a new reason each time: a repeated one records nothing
                store.note_progress(reason=f"{i} {LONG_NOTE}", stamp=Stamp("system:reconciler", "c"))

            return command

        variables = {"storeId": store_id, "after": 0}
        async with (
            subscribed(api, STORE_EVENTS, variables, token) as fast,
            subscribed(api, STORE_EVENTS, variables, token, slow=True) as slow,
        ):
            versions = [(await fast.next())["storeEvents"]["version"] for _ in range(2)]
            # Both past their catch-up: pushed straight to their sockets (graphql_api.live.push),
            # where the bound is the slow socket's unsent frames. A guard against hangs, no timing.
            for _ in range(600):
                if sum(s.pushing for s in running.services.broadcaster.subscriptions()) == 2:
                    break
                await asyncio.sleep(0.05)
            assert sum(s.pushing for s in running.services.broadcaster.subscriptions()) == 2
            for i in range(200):  # bounded: the slow reader's buffers fill within tens of events
                await asyncio.to_thread(service.change, UUID(store_id), note(i))
                # Wait for the fast reader, so each event is a batch of its own.
                versions.append((await fast.next())["storeEvents"]["version"])
                if await dropped_count(api) >= 1:
                    break
            assert await dropped_count(api) == 1
            assert versions == list(range(1, len(versions) + 1))

            with pytest.raises(ConnectionClosed) as closed:
                await read_until_closed(slow)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4008
            assert "too slow" in closed.value.rcvd.reason
