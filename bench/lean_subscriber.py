"""A websocket subscriber that costs its load generator almost nothing per message, for the push
benchmark: thousands of them share the 2 cores with the server they measure.

Used by `bench.api_push_latency`. Each is an `asyncio.Protocol` speaking just enough RFC 6455 and
graphql-transport-ws: the upgrade, `connection_init`, one `subscribe`, pongs to the server's pings,
and, for each text frame, its payload and the moment its last byte was read (the JSON is parsed
after the run). The `websockets` client spent ~50-80 µs of Python per message (frame parsing,
a queue, a task wake-up, an `async for` step), so with 1,000 subscribers in one process the last
of them read each event tens of milliseconds after the server had written it: the load generator,
not the server, set the tail. What this records is when the bytes reached the subscriber's process.

`python -m bench.lean_subscriber` runs a crowd of them in a process of its own (`_serve_crowd`):
one process cannot read 10,000 sockets fast enough, so the benchmark starts several.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import struct
import sys
import time
from pathlib import Path
from typing import cast

import uvloop
from websockets.frames import Frame, Opcode

_TEXT, _CLOSE, _PING = 0x1, 0x8, 0x9


def _client_frame(opcode: Opcode, data: bytes) -> bytes:
    return Frame(opcode, data, fin=True).serialize(mask=True, extensions=[])


class LeanSubscriber(asyncio.Protocol):
    """One socket, one subscription; `messages` holds (arrival time, text payload bytes)."""

    def __init__(self, host: str, port: int, token: str, query: str) -> None:
        self.host, self.port, self.token, self.query = host, port, token, query
        self.transport: asyncio.Transport | None = None
        self.messages: list[tuple[float, bytes]] = []
        self.subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._upgraded = False
        self._buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's does not subclass it
        transport = self.transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write((
            f"GET /graphql HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        ).encode())

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buffer = self._buffer + data
        if not self._upgraded:
            head, found, rest = buffer.partition(b"\r\n\r\n")
            if not found:
                self._buffer = buffer
                return
            if not head.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(f"upgrade refused: {head[:80]!r}")
            self._upgraded = True
            self._send_text({"type": "connection_init", "payload": {"token": self.token}})
            buffer = rest
        self._buffer = self._frames(buffer, now)

    def _frames(self, buffer: bytes, now: float) -> bytes:
        """Handles every whole (unmasked, unfragmented) server frame in `buffer`; returns the rest."""
        while len(buffer) >= 2:
            opcode, length = buffer[0] & 0x0F, buffer[1] & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    break
                length, start = struct.unpack("!H", buffer[2:4])[0], 4
            elif length == 127:
                if len(buffer) < 10:
                    break
                length, start = struct.unpack("!Q", buffer[2:10])[0], 10
            if len(buffer) < start + length:
                break
            payload, buffer = buffer[start:start + length], buffer[start + length:]
            if opcode == _TEXT:
                self._text(payload, now)
            elif opcode == _PING and self.transport is not None:
                self.transport.write(_client_frame(Opcode.PONG, payload))
            elif opcode == _CLOSE and not self.closed.done():
                self.closed.set_result(None)
        return buffer

    def _text(self, payload: bytes, now: float) -> None:
        if self.subscribed.done():
            self.messages.append((now, payload))
        elif b'"connection_ack"' in payload:
            self._send_text({"id": "1", "type": "subscribe", "payload": {"query": self.query}})
            self.subscribed.set_result(None)

    def _send_text(self, message: dict[str, object]) -> None:
        assert self.transport is not None
        self.transport.write(_client_frame(Opcode.TEXT, json.dumps(message).encode()))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


async def open_crowd(host: str, port: int, token: str, query: str, count: int,
                     *, wave: int = 50, pause: float = 0.2) -> list[LeanSubscriber]:
    """`count` subscribers, opened in waves of `wave` (as a real population would arrive)."""
    loop = asyncio.get_running_loop()
    crowd: list[LeanSubscriber] = []

    async def one() -> LeanSubscriber:
        _, protocol = await loop.create_connection(
            lambda: LeanSubscriber(host, port, token, query), host, port)
        await asyncio.wait_for(protocol.subscribed, 300)
        return protocol

    for start in range(0, count, wave):
        crowd += await asyncio.gather(*(one() for _ in range(min(wave, count - start))))
        await asyncio.sleep(pause)
    return crowd


async def _serve_crowd(args: argparse.Namespace) -> tuple[Path, list[list[tuple[float, str]]]] | None:
    """A crowd in a process of its own, driven over stdin/stdout by `bench.api_push_latency`
    (one line each way): it opens its sockets and says `subscribed`; then `count` is answered with
    the frames received so far, and `dump PATH` writes every socket's frames as JSON (one list of
    [arrival time, text] per socket), closes the sockets and exits. Arrival times are
    `time.perf_counter()`, CLOCK_MONOTONIC on Linux: the same clock in every process. Returns where
    to write what (the caller writes it: no blocking file I/O inside the loop)."""
    crowd = await open_crowd(args.host, args.port, args.token, args.query, args.count)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("subscribed", flush=True)
    while line := (await reader.readline()).decode().strip():
        if line == "count":
            print(sum(len(s.messages) for s in crowd), flush=True)
        elif line.startswith("dump "):
            for s in crowd:
                if s.transport is not None:
                    s.transport.close()
            frames = [[(at, text.decode()) for at, text in s.messages] for s in crowd]
            return Path(line.removeprefix("dump ")), frames
    return None  # stdin closed: the benchmark is gone


def main() -> None:
    parser = argparse.ArgumentParser(description=_serve_crowd.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--query", required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    gc.freeze()  # the frames it keeps are never garbage: no collection should walk them mid-run
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        dump = runner.run(_serve_crowd(args))
    if dump is not None:
        dump[0].write_text(json.dumps(dump[1]))
        print("dumped", flush=True)


if __name__ == "__main__":
    main()
