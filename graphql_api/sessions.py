"""The websockets this process holds: how many per client address and per token, and closing a
token's sockets the moment it is revoked.

Fed by the websocket path of `graphql_api.app` (a socket joins by address when it connects, and
by token once `connection_init` names one) and by `TokenStore` (a revocation heard from any
process through NOTIFY); feeds the caps and the cut-off. In memory and per process: a socket is a
connection to this process, so its count is this process's own to keep.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

CLOSE_UNAUTHORIZED = 4401  # no token in connection_init
CLOSE_FORBIDDEN = 4403  # a token that is unknown, expired or revoked (also: revoked while open)
CLOSE_INIT_TIMEOUT = 4408  # no connection_init in time
CLOSE_TOO_MANY = 4429  # over the cap of sockets for this token or this address

Closer = Callable[[int, str], Coroutine[Any, Any, None]]


@dataclass
class Sessions:
    per_token: int
    per_address: int
    _by_address: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _by_token: dict[str, dict[int, Closer]] = field(default_factory=lambda: defaultdict(dict))
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

    def join_token(self, token_id: str, socket: int, close: Closer) -> bool:
        """Counts socket `socket` (an id) under its token; False when the token is over its cap."""
        sockets = self._by_token[token_id]
        if socket not in sockets and len(sockets) >= self.per_token:
            return False
        sockets[socket] = close
        return True

    def leave_token(self, token_id: str, socket: int) -> None:
        sockets = self._by_token.get(token_id)
        if sockets is None:
            return
        sockets.pop(socket, None)
        if not sockets:
            del self._by_token[token_id]

    def sockets_of(self, token_id: str) -> int:
        return len(self._by_token.get(token_id, {}))

    def revoked(self, token_id: str) -> None:
        """Closes every socket of a token just revoked (called from the NOTIFY listener)."""
        for close in list(self._by_token.pop(token_id, {}).values()):
            task = asyncio.get_running_loop().create_task(close(CLOSE_FORBIDDEN, "token revoked"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
