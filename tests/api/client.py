"""Test clients for the real server: GraphQL over HTTP (httpx) and over websockets (graphql-transport-ws)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

# A guard against hangs, not a speed assertion: every awaited push normally arrives in milliseconds.
PATIENCE = 30.0


@dataclass
class Api:
    base_url: str
    http: httpx.AsyncClient

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/graphql"

    async def post(self, query: str, variables: dict[str, Any] | None = None,
                   token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None,
                   token: str | None = None) -> dict[str, Any]:
        """The data of a query that must succeed."""
        body = await self.post(query, variables, token)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def listed(self, token: str, count: int) -> None:
        """Waits until the caller's `stores` list counts `count`: lists read the read model, which
        follows an append by milliseconds (a `store(id)` read does not wait: it falls back to the
        event store)."""
        for _ in range(200):
            body = await self.data("{ stores { totalCount } }", token=token)
            if body["stores"]["totalCount"] == count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the read model never listed {count} stores: {body}")


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


class Subscriber:
    """One graphql-transport-ws connection with one subscription on it."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def start(self, query: str, variables: dict[str, Any], token: str | None) -> None:
        await self.ws.send(json.dumps(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"} if token else {}}
        ))
        ack = json.loads(await asyncio.wait_for(self.ws.recv(), PATIENCE))
        assert ack["type"] == "connection_ack", ack
        await self.ws.send(json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
        ))

    async def message(self) -> dict[str, Any]:
        """The next message of the subscription (`next`, `error` or `complete`), skipping pings."""
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), PATIENCE))
            if message["type"] not in ("ping", "pong"):
                return message

    async def next(self) -> dict[str, Any]:
        """The data of the next pushed result, which must have no errors."""
        message = await self.message()
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data


@asynccontextmanager
async def subscribed(api: Api, query: str, variables: dict[str, Any] | None = None,
                     token: str | None = None, *, slow: bool = False) -> AsyncIterator[Subscriber]:
    """A subscription over a real websocket. `slow` makes a reader that stops reading when told to:
    a tiny receive buffer, no read-ahead and no compression, so the server's writes soon block."""
    sock = None
    if slow:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        host, port = api.base_url.removeprefix("http://").split(":")
        sock.connect((host, int(port)))
        sock.setblocking(False)
    async with connect(api.ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                       sock=sock, max_queue=1 if slow else 16,
                       compression=None if slow else "deflate") as ws:
        subscriber = Subscriber(ws)
        await subscriber.start(query, variables or {}, token)
        yield subscriber


async def closed_with(ws: ClientConnection) -> int | None:
    """Reads until the server closes the socket; the close code it sent (pings are skipped)."""
    from websockets.exceptions import ConnectionClosed

    try:
        while True:
            await asyncio.wait_for(ws.recv(), PATIENCE)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
