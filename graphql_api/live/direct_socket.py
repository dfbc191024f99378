"""A websocket the broadcaster can write a pushed frame to directly, without an await.

Fed by the ASGI door (`RawSend` keeps uvicorn's own `send` in the websocket's scope) and used by
`graphql_api.live.push`, which writes each live event's frame to every socket of a subscriber in one
loop. Going through strawberry's stream, Starlette and uvicorn's `send` costs a task wake-up and
several awaits per socket per event; this writes the frame bytes to the socket's transport.

Only uvicorn's websockets-sans-io protocol is understood (what `graphql_api.server` runs); for any
other server `DirectSocket.of` returns None and pushes take the ordinary path. The frame is the same
one uvicorn would write (the library's own framing, unmasked, no extension), so two writers on one
socket interleave whole frames only: strawberry's messages (acks, catch-up, errors, pings) and these.

Backpressure: uvicorn's `send` waits while the transport's buffer is over its high-water mark. Here
nothing waits; instead `behind` counts the pushes written while bytes were still queued in user
space (the kernel's buffer full: the reader is not reading), and `graphql_api.live.push` drops the
subscriber past its limit, so the memory a slow reader holds stays bounded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.websockets import WebSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_RAW_SEND = "storeplane.raw_send"


class RawSend:
    """The outermost ASGI layer: keeps the server's own `send` of each websocket in its scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[_RAW_SEND] = send
        await self.app(scope, receive, send)


def text_frame(text: str) -> bytes:
    """A final, unmasked text frame, as a server writes it when no extension is negotiated."""
    return Frame(Opcode.TEXT, text.encode(), fin=True).serialize(mask=False, extensions=[])


class DirectSocket:
    """One accepted websocket's transport, written frame by frame without awaiting."""

    __slots__ = ("_protocol", "behind")

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol
        self.behind = 0
        """Pushes written in a row while the transport still held unsent bytes."""

    @classmethod
    def of(cls, ws: WebSocket) -> DirectSocket | None:
        """The direct writer of `ws`, or None when its server is not one this understands."""
        protocol = getattr(ws.scope.get(_RAW_SEND), "__self__", None)
        if not isinstance(protocol, WebSocketsSansIOProtocol) or protocol.conn.extensions:
            return None  # another server, or a negotiated extension (deflate): frames would differ
        return cls(protocol)

    @property
    def open(self) -> bool:
        # The handshake is complete (the operation was subscribed over it); uvicorn sets these
        # when either side closes, before the library's own state moves (checked on every push).
        protocol = self._protocol
        return not (protocol.close_sent or protocol.disconnected or protocol.transport.is_closing())

    def write(self, frame: bytes) -> bool:
        """Writes one whole frame (from `text_frame`); False when the socket is no longer open."""
        if not self.open:
            return False
        transport = self._protocol.transport
        self.behind = self.behind + 1 if transport.get_write_buffer_size() > 0 else 0
        transport.write(frame)
        return True
