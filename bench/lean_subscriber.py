"""A websocket subscriber that costs its load generator almost nothing per message, for the push
benchmark: thousands of them share the 2 cores with the server they measure.

Used by `bench.api_push_latency`. Each is an `asyncio.Protocol` speaking just enough RFC 6455 and
graphql-transport-ws: the upgrade, `connection_init`, one `subscribe`, pongs to the server's pings,
and, for each text frame, its payload and the moment its last byte was read (the JSON is parsed
after the run). The `websockets` client spent ~50-80 µs of Python per message (frame parsing,
a queue, a task wake-up, an `async for` step), so with 1,000 subscribers in one process the last
of them read each event tens of milliseconds after the server had written it: the load generator,
not the server, set the tail. What this records is when the bytes reached the subscriber's process.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
from typing import cast

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
