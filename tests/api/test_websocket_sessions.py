"""Websocket sessions end: a missing or bad token at connection_init closes the socket, for both
protocols; a socket that never says hello is closed; a token revoked in another API process, or
expired while its socket is open, is cut off; sockets per token and per address are capped.

Each test attacks the server as it was before (sockets acked without a token, graphql-ws with no
init timeout, a revoked token's subscriptions streaming on, unlimited sockets)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from graphql_api.tokens import TokenStore
from storeplane.database import create_pool, open_service
from tests.api.client import Api, closed_with
from tests.api.conftest import TEST_CONFIG, Running, serving
from tests.api.documents import STORE_UPDATED

pytestmark = pytest.mark.asyncio(loop_scope="session")

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]
SESSION_CONFIG = dataclasses.replace(
    TEST_CONFIG, ws_init_timeout_seconds=0.5, token_cache_seconds=0.5, max_sockets_per_token=2,
    max_sockets_per_address=6,
)


@dataclasses.dataclass
class SessionsApi:
    running: Running
    database_url: str

    @property
    def api(self) -> Api:
        return self.running.api

    @property
    def tokens(self) -> TokenStore:
        return self.running.services.tokens


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sessions_api(make_database: Callable[[], str]) -> AsyncIterator[SessionsApi]:
    """An API of its own (short timeouts, small caps), on a database of its own."""
    database = make_database()
    app = open_service(database)
    try:
        async with serving(database, app, SESSION_CONFIG) as running:
            yield SessionsApi(running, database)
    finally:
        app.close()


def _init(protocol: str, token: str | None) -> str:
    payload = {"authorization": f"Bearer {token}"} if token else {}
    return json.dumps({"type": "connection_init", "payload": payload})


def _subscribe(protocol: str, query: str) -> str:
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    return json.dumps({"id": "1", "type": kind, "payload": {"query": query, "variables": {}}})


async def _acked(ws: ClientConnection) -> None:
    while True:
        message = json.loads(await ws.recv())
        if message["type"] == "connection_ack":
            return
        assert message["type"] in ("ka", "ping"), message


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_no_token_at_connection_init_closes_4401(sessions_api: SessionsApi, protocol: str) -> None:
    async with connect(sessions_api.api.ws_url, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        await ws.send(_init(protocol, None))
        assert await closed_with(ws) == 4401


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("token", ["sp_deadbeef_not-a-real-secret", "garbage"])
async def test_a_bad_token_at_connection_init_closes_4403(
    sessions_api: SessionsApi, protocol: str, token: str
) -> None:
    async with connect(sessions_api.api.ws_url, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        await ws.send(_init(protocol, token))
        if protocol == "graphql-ws":  # the legacy protocol is also told why, before the close
            error = json.loads(await ws.recv())
            assert error["type"] == "connection_error"
            assert error["payload"]["extensions"]["code"] == "UNAUTHENTICATED"
        assert await closed_with(ws) == 4403


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_that_never_sends_connection_init_is_closed(
    sessions_api: SessionsApi, protocol: str
) -> None:
    async with connect(sessions_api.api.ws_url, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        assert await closed_with(ws) == 4408


async def test_the_init_timeout_is_the_door_s_timer_not_a_task_per_socket(
    sessions_api: SessionsApi,
) -> None:
    def timer_tasks() -> int:  # the server runs in this test's event loop
        return sum(getattr(t.get_coro(), "__qualname__", "").endswith("connection_init_timeout")
                   for t in asyncio.all_tasks())

    protocols = ["graphql-transport-ws"]
    async with connect(sessions_api.api.ws_url, subprotocols=protocols) as ws:  # type: ignore[list-item]
        await ws.ping()  # answered once the socket is accepted, i.e. after the timer would start
        assert timer_tasks() == 0
        assert await closed_with(ws) == 4408


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_token_revoked_through_another_process_is_cut_off(
    sessions_api: SessionsApi, protocol: str, tenant: str
) -> None:
    tokens = sessions_api.tokens
    token_id, token = await tokens.create(tenant=tenant)
    async with connect(sessions_api.api.ws_url, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        await ws.send(_init(protocol, token))
        await _acked(ws)
        await ws.send(_subscribe(protocol, STORE_UPDATED))
        # Another process (its own pool, its own cache) revokes the token: only PostgreSQL links them.
        pool = await create_pool(sessions_api.database_url, max_size=1)
        try:
            assert await TokenStore(pool).revoke(token_id)
        finally:
            await pool.close()
        assert await closed_with(ws) == 4403


async def test_a_token_that_expires_while_its_socket_is_open_is_cut_off(
    sessions_api: SessionsApi, tenant: str
) -> None:
    tokens = sessions_api.tokens
    token_id, token = await tokens.create(tenant=tenant, expires_in=timedelta(hours=1))
    async with connect(sessions_api.api.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(_init("graphql-transport-ws", token))
        await _acked(ws)
        # The hour passes (no NOTIFY for an expiry: the periodic check must find it).
        await tokens.pool.execute(
            "UPDATE storeplane_api_tokens SET expires_at = now() - interval '1 second' WHERE token_id = $1",
            token_id,
        )
        assert await closed_with(ws) == 4403


async def test_sockets_per_token_are_capped(sessions_api: SessionsApi, tenant: str) -> None:
    _, token = await sessions_api.tokens.create(tenant=tenant)
    url = sessions_api.api.ws_url
    async with (
        connect(url, subprotocols=["graphql-transport-ws"]) as first,  # type: ignore[list-item]
        connect(url, subprotocols=["graphql-transport-ws"]) as second,  # type: ignore[list-item]
        connect(url, subprotocols=["graphql-transport-ws"]) as third,  # type: ignore[list-item]
    ):
        for ws in (first, second):
            await ws.send(_init("graphql-transport-ws", token))
            await _acked(ws)
        await third.send(_init("graphql-transport-ws", token))
        assert await closed_with(third) == 4429
    # Closed sockets free their places.
    async with connect(url, subprotocols=["graphql-transport-ws"]) as again:  # type: ignore[list-item]
        await again.send(_init("graphql-transport-ws", token))
        await _acked(again)


async def test_sockets_per_client_address_are_capped(sessions_api: SessionsApi, tenant: str) -> None:
    url = sessions_api.api.ws_url
    opened: list[ClientConnection] = []
    try:
        for _ in range(SESSION_CONFIG.max_sockets_per_address):
            _, token = await sessions_api.tokens.create(tenant=tenant)  # a token each: not that cap
            ws = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
            opened.append(ws)
            await ws.send(_init("graphql-transport-ws", token))
            await _acked(ws)  # initialised: the init timeout does not close it
        with pytest.raises(InvalidStatus):
            await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    finally:
        for ws in opened:
            await ws.close()
