"""Subscriptions over a real websocket (graphql-transport-ws and the legacy graphql-ws): pushes of
store changes and events, catch-up then live with no gap or duplicate, and tenancy."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID

import pytest
from websockets.asyncio.client import connect

from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store
from tests.api.client import PATIENCE, Api, subscribed
from tests.api.documents import CREATE, STORE_EVENTS, STORE_UPDATED, create_input

pytestmark = pytest.mark.asyncio(loop_scope="session")
SYSTEM = "system:reconciler"


def start(store: Store) -> None:
    store.start_provisioning(stamp=Stamp(SYSTEM, "c"))


def progress(note: str):  # type: ignore[no-untyped-def]
    def command(store: Store) -> None:
        store.note_progress(reason=note, stamp=Stamp(SYSTEM, "c"))

    return command


async def create(api: Api, token: str, name: str) -> str:
    store_id: str = (await api.data(CREATE, create_input(name), token))["createStore"]["store"]["id"]
    return store_id


async def test_a_new_store_is_pushed_as_requested_then_each_change(
    api: Api, token: str, service: StoreService
) -> None:
    async with subscribed(api, STORE_UPDATED, {}, token) as all_mine:
        store_id = await create(api, token, "live")
        first = (await all_mine.next())["storeUpdated"]
        assert (first["id"], first["status"]) == (store_id, "REQUESTED")

        async with subscribed(api, STORE_UPDATED, {"id": store_id}, token) as this_one:
            assert (await this_one.next())["storeUpdated"]["status"] == "REQUESTED"  # as it is now
            await asyncio.to_thread(service.change, UUID(store_id), start)
            pushed = (await this_one.next())["storeUpdated"]
            assert pushed["status"] == "PROVISIONING"
            assert pushed["steps"][0] == {"name": "namespace", "done": False, "current": True}
        assert (await all_mine.next())["storeUpdated"]["status"] == "PROVISIONING"


async def test_store_events_catch_up_then_continue_live_with_no_gap_or_duplicate(
    api: Api, token: str, service: StoreService
) -> None:
    store_id = await create(api, token, "feed")
    await asyncio.to_thread(service.change, UUID(store_id), start)
    for i in range(3):
        await asyncio.to_thread(service.change, UUID(store_id), progress(f"before {i}"))

    async with subscribed(api, STORE_EVENTS, {"storeId": store_id, "after": 0}, token) as feed:
        received = [(await feed.next())["storeEvents"] for _ in range(5)]
        # Live events committed while the subscriber is still reading its catch-up.
        for i in range(4):
            await asyncio.to_thread(service.change, UUID(store_id), progress(f"after {i}"))
        received += [(await feed.next())["storeEvents"] for _ in range(4)]

    assert [e["version"] for e in received] == list(range(1, 10))
    sequences = [e["sequence"] for e in received]
    assert sequences == sorted(set(sequences))
    assert received[0]["type"] == "Requested"
    assert received[-1]["data"]["reason"] == "after 3"


async def test_resuming_after_a_sequence_starts_exactly_after_it(
    api: Api, token: str, service: StoreService
) -> None:
    store_id = await create(api, token, "resume")
    for i in range(3):
        await asyncio.to_thread(service.change, UUID(store_id), start if i == 0 else progress(str(i)))
    async with subscribed(api, STORE_EVENTS, {"storeId": store_id, "after": 0}, token) as feed:
        everything = [(await feed.next())["storeEvents"] for _ in range(4)]
    resume_after = everything[1]["sequence"]
    async with subscribed(api, STORE_EVENTS, {"storeId": store_id, "after": resume_after}, token) as feed:
        resumed = [(await feed.next())["storeEvents"] for _ in range(2)]
    assert resumed == everything[2:]


async def test_the_legacy_graphql_ws_protocol_also_pushes(api: Api, token: str) -> None:
    async with connect(api.ws_url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), PATIENCE))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "start", "payload": {"query": STORE_UPDATED}}))
        store_id = await create(api, token, "legacy")
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), PATIENCE))
            if message["type"] == "data":
                break
        assert message["payload"]["data"]["storeUpdated"]["id"] == store_id
