"""An HTTP/1.1 keep-alive client that costs its load generator almost nothing per request, for the
query throughput benchmark: it shares the 2 cores with the server it measures.

Used by `bench.api_query_throughput` (`LeanHttpClient`, a closed loop) and
`bench.api_create_latency` (`ScheduledHttpClient`, an open loop). Each is an `asyncio.Protocol` on
one connection that writes prebuilt POSTs, reads each response up to its `Content-Length`, and
records the latency and the body. httpx spent about 1-2 ms of Python per
request (its connection pool, h11, the request and response models): with 50 clients the plain
Starlette floor measured 120-180 requests/s, which is the load generator's limit, not the floor's,
so a server three times faster than 123/s could not have been shown at all. Bodies are checked
after the run, not while timing.
"""

from __future__ import annotations

import abc
import asyncio
import functools
import json
import random
import time
from typing import cast


def post_request(host: str, port: int, path: str, body: dict[str, object], token: str) -> bytes:
    data = json.dumps(body).encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode() + data


class _KeepAliveClient(asyncio.Protocol, abc.ABC):
    """One keep-alive connection reading each response up to its `Content-Length`: `latencies` in
    seconds, `bodies` the response bodies, `statuses` their status codes. A subclass says when
    each request goes (`_send`) and what each answer leads to (`_answered`)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.latencies: list[float] = []
        self.bodies: list[bytes] = []
        self.statuses: list[int] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer = b""
        self._sent = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's does not subclass it

    def _write(self, request: bytes) -> None:
        assert self.transport is not None
        self._sent = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        head, found, rest = self._buffer.partition(b"\r\n\r\n")
        if not found:
            return
        length = _content_length(head)
        if len(rest) < length:
            return
        self.statuses.append(int(head.split(b" ", 2)[1]))
        self.bodies.append(rest[:length])
        self._buffer = rest[length:]
        self._answered(time.perf_counter())

    @abc.abstractmethod
    def _answered(self, now: float) -> None:
        """A response has been read whole at `now` (perf_counter)."""

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError(f"closed by the server after "
                                                    f"{len(self.latencies)} responses: {exc}"))


class LeanHttpClient(_KeepAliveClient):
    """The closed loop: sends `request` back to back until `until` (perf_counter)."""

    def __init__(self, request: bytes, until: float) -> None:
        super().__init__()
        self.request, self.until = request, until

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._write(self.request)

    def _answered(self, now: float) -> None:
        self.latencies.append(now - self._sent)
        if now < self.until:
            self._write(self.request)
        else:
            self._finish()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError(f"response without Content-Length: {head[:200]!r}")


async def closed_loop(host: str, port: int, requests: list[bytes], seconds: float) -> list[LeanHttpClient]:
    """One connection per request text, each sending its request back to back for `seconds`."""
    loop = asyncio.get_running_loop()
    until = time.perf_counter() + seconds
    clients = []
    for request in requests:
        _, client = await loop.create_connection(
            functools.partial(LeanHttpClient, request, until), host, port
        )
        clients.append(client)
    await asyncio.gather(*(c.done for c in clients))
    for client in clients:
        assert client.transport is not None
        client.transport.close()
    return clients


class ScheduledHttpClient(_KeepAliveClient):
    """The open loop: once `start(due)` is called, sends `requests[i]` at `due[i]` (perf_counter) on
    one keep-alive connection, or when the answer before it arrives if that is later. A latency
    counts from the due time, so a request that waited behind a slow one is charged that wait (no
    coordinated omission). With every due time 0 it is a closed loop, and `from_send` counts each
    latency from the moment its request was written instead.

    httpx cost ~8 ms of the load generator's CPU per request on this machine (measured at 19:04 on
    2026-12-01), so at 50 creates/s the client, sharing the 2 cores, was a large part of the load it
    measured."""

    def __init__(self, requests: list[bytes], *, from_send: bool = False) -> None:
        super().__init__()
        self.requests, self.from_send = requests, from_send
        self.due: list[float] = []
        self._next = 0

    def start(self, due: list[float]) -> None:
        self.due = due
        self._schedule()

    def _schedule(self) -> None:
        if self._next == len(self.requests):
            self._finish()
            return
        delay = self.due[self._next] - time.perf_counter()
        asyncio.get_running_loop().call_later(max(0.0, delay), self._write, self.requests[self._next])

    def _answered(self, now: float) -> None:
        since = self._sent if self.from_send else self.due[self._next]
        self.latencies.append(now - since)
        self._next += 1
        self._schedule()


async def open_loop(
    host: str, port: int, requests: list[list[bytes]], every: float
) -> list[ScheduledHttpClient]:
    """One connection per list in `requests` (all opened first: connecting is not measured); each
    sends one request every `every` seconds from a random phase within the first `every`, so the
    clients do not send in step. `every` = 0: a closed loop (each request as soon as the last is
    answered), timed from each send."""
    loop = asyncio.get_running_loop()
    clients = []
    for texts in requests:
        _, client = await loop.create_connection(
            functools.partial(ScheduledHttpClient, texts, from_send=not every), host, port
        )
        clients.append(client)
    start = time.perf_counter() + 0.05
    for client in clients:
        phase = start + random.uniform(0, every)
        client.start([phase + i * every for i in range(len(client.requests))])
    await asyncio.gather(*(c.done for c in clients))
    for client in clients:
        assert client.transport is not None
        client.transport.close()
    return clients
