"""uvicorn's websockets-sans-io protocol, holding less for each socket it keeps open.

Served by `graphql_api.server` (uvicorn's `ws=` takes a protocol class), so every websocket of the API
runs on it; `graphql_api.live.direct_socket` writes pushes to it as to its parent class.

Why a subclass: an idle subscription's socket lives for hours, and uvicorn's protocol keeps, for
all that time, an `asyncio.Queue` of received messages (three deques and an `Event` with a fourth:
3.3 KiB each, measured with tracemalloc), an `asyncio.Event` for write flow control (0.9 KiB), and
the handshake's request and response with their headers, which nothing reads once the socket is
accepted (the `websockets` parser keeps the request too). The queue here is a list and the waiters
of the moment, which is all one reader and non-blocking puts need; the flag is a bool and its
waiters; the handshake is let go, its request's headers emptied, once accepted.

What it relies on of uvicorn (checked by `tests/api/test_socket_protocol.py` on the real server and
by every websocket test): the protocol uses `queue.put_nowait`, `queue.get`, `queue.empty`,
`writable.set`, `writable.clear` and `writable.wait`, and reads `request` and `response` only until
`handshake_complete`, having copied the request's headers into the ASGI scope.
"""

from __future__ import annotations

import asyncio
from typing import Any, Generic, TypeVar

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

T = TypeVar("T")


def _wake(waiters: list[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)


async def _wait_in(waiters: list[asyncio.Future[None]]) -> None:
    waiter = asyncio.get_running_loop().create_future()
    waiters.append(waiter)
    try:
        await waiter
    finally:
        waiters.remove(waiter)


class Inbox(Generic[T]):
    """A FIFO of received messages: the part of `asyncio.Queue` an unbounded, non-blocking put needs."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list[T] = []
        self._waiters: list[asyncio.Future[None]] = []

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        _wake(self._waiters)

    async def get(self) -> T:
        while not self._items:
            await _wait_in(self._waiters)
        return self._items.pop(0)  # a socket's inbox holds a message or two: no deque needed

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


class Flag:
    """Set or not, and awaitable until set: the part of `asyncio.Event` flow control needs."""

    __slots__ = ("_set", "_waiters")

    def __init__(self, *, is_set: bool = False) -> None:
        self._set = is_set
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        _wake(self._waiters)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        while not self._set:
            await _wait_in(self._waiters)
        return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag(is_set=True)  # type: ignore[assignment]

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if self.handshake_complete and getattr(self, "response", None) is not None:
            # Accepted (or refused): the handshake's request and response are not read again.
            # The request is emptied, not only let go: the `websockets` parser that read it keeps
            # it in its generator's frame for as long as it reads the socket's frames (the ASGI
            # scope has its own copy of the headers).
            self.request.headers.clear()
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]
