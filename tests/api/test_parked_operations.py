"""A graphql-transport-ws subscription whose results are pushed directly is parked: its GraphQL
stream ends (no task, no suspended execution held for the socket's life), yet the operation goes on
as the client sees it: its id stays taken (a second subscribe with it closes 4409), it gets every
live event, and no `complete` is sent for it until the client completes it. Subscriptions alike (one
document, one tenant's view) push with one executor between them, not one each."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from graphql_api.live.push import DirectPush
from graphql_api.tokens import TokenStore
from tests.api.client import Api, closed_with
from tests.api.conftest import Running
from tests.api.test_direct_push import create, init, joined, messages

pytestmark = pytest.mark.asyncio(loop_scope="session")

STORE_EVENTS = "subscription { storeEvents { storeId } }"


def _streams() -> list[asyncio.Task[object]]:
    """The server's strawberry operation tasks (it runs in this test's event loop)."""
    return [t for t in asyncio.all_tasks()
            if getattr(t.get_coro(), "__qualname__", "").endswith("run_operation")]


async def test_pushed_operations_hold_no_stream_and_still_get_every_event(
    running: Running, api: Api, token: str
) -> None:
    before = len(_streams())
    async with connect(api.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await init(ws, token)
        for op in ("a", "b", "c"):
            await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": STORE_EVENTS}}))
        await joined(running, 3, pushing=True)
        for _ in range(100):  # each stream ends right after it parks; a guard, not a timing
            if len(_streams()) == before:
                break
            await asyncio.sleep(0.05)
        assert len(_streams()) == before
        store_id = await create(api, token, "parked")
        pushed = await messages(ws, "next", 3)
        assert sorted(m["id"] for m in pushed) == ["a", "b", "c"]
        assert {m["payload"]["data"]["storeEvents"]["storeId"] for m in pushed} == {store_id}
        await ws.send(json.dumps({"id": "b", "type": "complete"}))
        await ws.send(json.dumps({"type": "ping"}))
        answered = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(1)]
        assert answered == [{"type": "pong"}]  # no `complete` was sent for a parked operation


async def test_a_parked_operation_keeps_its_id(running: Running, api: Api, token: str) -> None:
    async with connect(api.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await init(ws, token)
        await ws.send(json.dumps({"id": "x", "type": "subscribe", "payload": {"query": STORE_EVENTS}}))
        await joined(running, 1, pushing=True)
        await ws.send(json.dumps({"id": "x", "type": "subscribe", "payload": {"query": STORE_EVENTS}}))
        assert await closed_with(ws) == 4409


async def test_subscriptions_alike_push_with_one_executor(
    running: Running, api: Api, token: str
) -> None:
    tokens = TokenStore(running.services.read_model.pool)
    _, other = await tokens.create(tenant=f"other-{uuid.uuid4().hex[:10]}")
    protocols: list[Subprotocol] = [Subprotocol("graphql-transport-ws")]
    async with connect(api.ws_url, subprotocols=protocols) as one, \
            connect(api.ws_url, subprotocols=protocols) as two, \
            connect(api.ws_url, subprotocols=protocols) as theirs:
        for ws, caller in ((one, token), (two, token), (theirs, other)):
            await init(ws, caller)
            await ws.send(json.dumps({"id": "s", "type": "subscribe", "payload": {"query": STORE_EVENTS}}))
        found = await joined(running, 3, pushing=True)
        executors = {s.topic.tenant: set() for s in found}
        for s in found:
            assert isinstance(s._pusher, DirectPush)
            executors[s.topic.tenant].add(id(s._pusher.executor))
        assert [len(e) for e in executors.values()] == [1] * len(executors)  # one per tenant
        assert len({e for ids in executors.values() for e in ids}) == len(executors)
