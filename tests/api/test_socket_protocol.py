"""The API's websockets run on `graphql_api.live.socket_protocol`: once a socket is accepted it no
longer holds the handshake (nor its headers, where the websockets parser keeps the request), its
inbox and write flag are the lean ones, and messages still flow both ways on it (the client's ping
answered, a live event pushed)."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID

import pytest

from domain.service import StoreService
from graphql_api.live.direct_socket import DirectSocket
from graphql_api.live.push import DirectPush
from graphql_api.live.socket_protocol import Flag, Inbox, LeanWebSocketProtocol
from tests.api.client import Api, subscribed
from tests.api.conftest import Running
from tests.api.documents import STORE_EVENTS
from tests.api.test_direct_push import create, joined, messages, progress, start

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_accepted_socket_lets_the_handshake_go_and_still_talks_both_ways(
    running: Running, api: Api, token: str, service: StoreService
) -> None:
    store_id = await create(api, token, "lean-socket")
    await asyncio.to_thread(service.change, UUID(store_id), start)
    async with subscribed(api, STORE_EVENTS, {"storeId": store_id}, token) as feed:
        for _ in range(100):  # ours, not a socket an earlier test is still closing; a guard
            mine = [s for s in await joined(running, 1, pushing=True)
                    if s.topic.store_id == UUID(store_id)]
            if mine:
                break
            await asyncio.sleep(0.05)
        (subscription,) = mine
        pusher = subscription._pusher
        assert isinstance(pusher, DirectPush)
        assert isinstance(pusher.socket, DirectSocket)
        protocol = pusher.socket._protocol
        assert isinstance(protocol, LeanWebSocketProtocol)
        assert protocol.request is None
        assert protocol.response is None
        # The library's parser still holds the request it read, now without its headers.
        kept = protocol.conn.parser.gi_frame.f_locals["request"]
        assert len(kept.headers) == 0
        assert isinstance(protocol.queue, Inbox)
        assert isinstance(protocol.writable, Flag)

        await feed.ws.send(json.dumps({"type": "ping"}))
        await messages(feed.ws, "pong", 1)
        await asyncio.to_thread(service.change, UUID(store_id), progress("lean"))
        pushed = [(await feed.next())["storeEvents"]]
        while "reason" not in pushed[-1]["data"]:  # the start, if projected after the join
            pushed.append((await feed.next())["storeEvents"])
    assert pushed[-1]["data"]["reason"] == "lean"
    assert len(pushed) <= 2
