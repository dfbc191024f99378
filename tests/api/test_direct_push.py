"""Live results written by the broadcaster straight to the sockets (graphql_api.live.push): the same
messages strawberry would send, in order after the catch-up, to the right operation id, only to
the caller's tenant, never after the client completed the operation, and through strawberry again
when a result needs awaiting."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any
from uuid import UUID

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store
from graphql_api.live.subscription import Subscription
from graphql_api.tokens import TokenStore
from tests.api.client import PATIENCE, Api, subscribed
from tests.api.conftest import Running
from tests.api.documents import CREATE, STORE_EVENTS, STORE_UPDATED, create_input

pytestmark = pytest.mark.asyncio(loop_scope="session")
SYSTEM = "system:reconciler"
WITH_EVENTS = "subscription($id: ID) { storeUpdated(id: $id) { status events { version } } }"


def progress(note: str):  # type: ignore[no-untyped-def]
    def command(store: Store) -> None:
        store.note_progress(reason=note, stamp=Stamp(SYSTEM, "c"))

    return command


def start(store: Store) -> None:
    store.start_provisioning(stamp=Stamp(SYSTEM, "c"))


async def create(api: Api, token: str, name: str) -> str:
    store_id: str = (await api.data(CREATE, create_input(name), token))["createStore"]["store"]["id"]
    return store_id


async def joined(running: Running, count: int, *, pushing: bool) -> list[Subscription]:
    """The broadcaster's subscriptions once `count` of them push directly (or not); a guard against
    hangs, not a timing requirement."""
    for _ in range(int(PATIENCE / 0.05)):
        found = [s for s in running.services.broadcaster.subscriptions() if s.pushing == pushing]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} subscriptions with pushing={pushing}")


async def messages(ws: ClientConnection, kind: str, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while len(found) < count:
        message = json.loads(await asyncio.wait_for(ws.recv(), PATIENCE))
        if message["type"] == kind:
            found.append(message)
    return found


async def init(ws: ClientConnection, token: str) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), PATIENCE))["type"] == "connection_ack"


async def test_live_events_after_the_catch_up_are_pushed_directly_with_no_gap_or_duplicate(
    running: Running, api: Api, token: str, service: StoreService
) -> None:
    store_id = await create(api, token, "direct")
    await asyncio.to_thread(service.change, UUID(store_id), start)
    async with subscribed(api, STORE_EVENTS, {"storeId": store_id, "after": 0}, token) as feed:
        caught_up = [(await feed.next())["storeEvents"] for _ in range(2)]
        await joined(running, 1, pushing=True)
        for i in range(5):
            await asyncio.to_thread(service.change, UUID(store_id), progress(f"live {i}"))
        live = [(await feed.next())["storeEvents"] for _ in range(5)]
    assert [e["version"] for e in caught_up + live] == list(range(1, 8))
    assert set(live[0]) == set(caught_up[0])  # the same fields as strawberry's own messages
    assert [e["data"]["reason"] for e in live] == [f"live {i}" for i in range(5)]


async def test_each_operation_gets_its_own_id_and_only_its_tenant_s_events(
    running: Running, api: Api, token: str, service: StoreService
) -> None:
    tokens = TokenStore(running.services.read_model.pool)
    _, other = await tokens.create(tenant=f"other-{uuid.uuid4().hex[:10]}")
    protocols: list[Subprotocol] = [Subprotocol("graphql-transport-ws")]
    async with connect(api.ws_url, subprotocols=protocols) as ws, \
            connect(api.ws_url, subprotocols=protocols) as theirs:
        await init(ws, token)
        await init(theirs, other)
        for op in ("a", "b"):
            await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": STORE_EVENTS}}))
        await theirs.send(json.dumps({"id": "x", "type": "subscribe", "payload": {"query": STORE_EVENTS}}))
        await joined(running, 3, pushing=True)
        mine = await create(api, token, "mine")
        their_store = await create(api, other, "theirs")
        pushed = await messages(ws, "next", 2)
        assert sorted(m["id"] for m in pushed) == ["a", "b"]
        assert {m["payload"]["data"]["storeEvents"]["storeId"] for m in pushed} == {mine}
        (first,) = await messages(theirs, "next", 1)
        assert first["id"] == "x"
        assert first["payload"]["data"]["storeEvents"]["storeId"] == their_store


async def test_no_push_follows_the_client_completing_the_operation(
    running: Running, api: Api, token: str, service: StoreService
) -> None:
    async with connect(api.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await init(ws, token)
        await ws.send(json.dumps({"id": "old", "type": "subscribe", "payload": {"query": STORE_EVENTS}}))
        await joined(running, 1, pushing=True)
        await ws.send(json.dumps({"id": "old", "type": "complete"}))
        await ws.send(json.dumps({"id": "new", "type": "subscribe", "payload": {"query": STORE_EVENTS}}))
        await create(api, token, "after-complete")
        (pushed,) = await messages(ws, "next", 1)
        assert pushed["id"] == "new"
        await ws.send(json.dumps({"type": "ping"}))
        await messages(ws, "pong", 1)  # the server answered after the push: nothing for "old" came between


async def test_a_document_selecting_an_awaited_field_goes_through_strawberry_in_order(
    running: Running, api: Api, token: str, service: StoreService
) -> None:
    store_id = await create(api, token, "awaited")
    async with subscribed(api, WITH_EVENTS, {"id": store_id}, token) as this_one:
        assert (await this_one.next())["storeUpdated"]["status"] == "REQUESTED"
        await asyncio.to_thread(service.change, UUID(store_id), start)
        for i in range(3):
            await asyncio.to_thread(service.change, UUID(store_id), progress(f"step {i}"))
        pushed: list[dict[str, Any]] = []
        while not pushed or len(pushed[-1]["events"]) < 5:
            pushed.append((await this_one.next())["storeUpdated"])
        assert pushed[-1]["status"] == "PROVISIONING"
        counts = [len(p["events"]) for p in pushed]
        # In order; the create may come twice (it can land between joining and the first read).
        assert counts == sorted(counts)
        assert len(counts) - len(set(counts)) <= 1
        assert not any(s.pushing for s in running.services.broadcaster.subscriptions())


async def test_the_legacy_graphql_ws_protocol_is_pushed_directly_too(
    running: Running, api: Api, token: str
) -> None:
    async with connect(api.ws_url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        await init(ws, token)
        await ws.send(json.dumps({"id": "7", "type": "start", "payload": {"query": STORE_UPDATED}}))
        await joined(running, 1, pushing=True)
        store_id = await create(api, token, "legacy-direct")
        (message,) = await messages(ws, "data", 1)
        assert message["id"] == "7"
        assert message["payload"]["data"]["storeUpdated"]["id"] == store_id
