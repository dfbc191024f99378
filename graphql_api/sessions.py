"""The websockets this process holds: how many per client address and per token, and closing a
token's sockets the moment it is revoked.

Fed by the websocket path of `graphql_api.app` (a socket joins by address when it connects, and
by token once `connection_init` names one) and by `TokenStore` (a revocation heard from any
process through NOTIFY); feeds the caps and the cut-off. In memory and per process: a socket is a
connection to this process, so its count is this process's own to keep.

`recheck` is the one task per process that checks each token with open sockets again every few
seconds (an expiry, or a revocation whose NOTIFY was missed), once per token. Before, each socket
had a task of its own waking every 5 s to check its token: with 1,000 sockets, 200 wake-ups a
second on the loop that pushes, and, each time the token's cache entry ran out, every socket
waking in the same moment queried the database for the same token at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

CLOSE_UNAUTHORIZED = 4401  # no token in connection_init
CLOSE_FORBIDDEN = 4403  # a token that is unknown, expired or revoked (also: revoked while open)
CLOSE_INIT_TIMEOUT = 4408  # no connection_init in time
CLOSE_TOO_MANY = 4429  # over the cap of sockets for this token or this address

Closer = Callable[[int, str], Coroutine[Any, Any, None]]
TokenCheck = Callable[[str], Awaitable[bool]]  # False: the token is known to be bad now


@dataclass
class Sessions:
    per_token: int
    per_address: int
    _by_address: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _by_token: dict[str, dict[int, Closer]] = field(default_factory=lambda: defaultdict(dict))
    _tokens: dict[str, str] = field(default_factory=dict)  # token id -> the token its sockets named
    _closing: set[asyncio.Task[None]] = field(default_factory=set)

    def join_address(self, address: str) -> bool:
        """Counts a new socket of `address`; False (not counted) when it is over the cap."""
        if self._by_address[address] >= self.per_address:
            return False
        self._by_address[address] += 1
        return True

    def leave_address(self, address: str) -> None:
        self._by_address[address] -= 1
        if self._by_address[address] <= 0:
            del self._by_address[address]

    def join_token(self, token_id: str, socket: int, close: Closer, token: str) -> bool:
        """Counts socket `socket` (an id) under its token; False when the token is over its cap."""
        sockets = self._by_token[token_id]
        if socket not in sockets and len(sockets) >= self.per_token:
            return False
        sockets[socket] = close
        self._tokens[token_id] = token
        return True

    def leave_token(self, token_id: str, socket: int) -> None:
        sockets = self._by_token.get(token_id)
        if sockets is None:
            return
        sockets.pop(socket, None)
        if not sockets:
            del self._by_token[token_id]
            self._tokens.pop(token_id, None)

    def sockets_of(self, token_id: str) -> int:
        return len(self._by_token.get(token_id, {}))

    def revoked(self, token_id: str) -> None:
        """Closes every socket of a token just revoked (called from the NOTIFY listener)."""
        self._close_all(token_id, "token revoked")

    def _close_all(self, token_id: str, reason: str) -> None:
        self._tokens.pop(token_id, None)
        for close in list(self._by_token.pop(token_id, {}).values()):
            self.spawn(close(CLOSE_FORBIDDEN, reason))

    def spawn(self, closing: Coroutine[Any, Any, None]) -> None:
        """Runs a socket's close in a task of its own, kept until it is done."""
        task = asyncio.get_running_loop().create_task(closing)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def recheck(self, check: TokenCheck, *, every: float, stop: asyncio.Event) -> None:
        """Until `stop`: every `every` seconds, each token with sockets is checked once, and the
        sockets of one found expired or revoked are closed 4403."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            for token_id, token in list(self._tokens.items()):
                if not await check(token) and self._tokens.get(token_id) == token:
                    self._close_all(token_id, "the token is expired or revoked")
