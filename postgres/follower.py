"""The one LISTEN loop: wakes a handler on every NOTIFY of a channel, with a poll as safety net,
and survives database restarts.

Fed by PostgreSQL notifications (eventsourcing's NOTIFY on every append, the projection's NOTIFY
on `storeplane_read_model`); feeds a handler that catches up by position — the projection runner,
the audit chain's checkpointer, the reconciler's wake-up, the API broadcaster. Handlers read
"everything after the last position I applied", so a NOTIFY carries no data that could be missed:
after (re)connecting, the handler runs once before waiting, which catches up on whatever was
committed while nobody listened, and the poll covers a NOTIFY lost in between.

`settle` makes a handler that need not run per event (the audit checkpoint) wait that long after a
NOTIFY before it runs, so a burst of appends costs one run instead of one per append.

`listening` says whether the LISTEN is up right now (`/readyz` reports it). A lost connection is
noticed at once through asyncpg's termination callback, not at the next poll.

Why our own (~100 lines) and not asyncpg-listen: that library hands each notification to a handler
and reconnects, but does not expose whether it is listening, and its handler is per notification;
ours is one coalesced wake-up per burst ("catch up now"), which is what a position-tracking consumer
needs, and the state `/readyz` must report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from postgres.errors import DATABASE_ERRORS

log = logging.getLogger(__name__)

Handler = Callable[[], Awaitable[object]]
Source = asyncpg.Pool | str
"""Where the LISTEN connection comes from: borrowed from a pool, or a connection of its own (the
API's, so a burst of queries can never leave the live feed waiting for a pooled connection)."""


async def first_of(*events: asyncio.Event, within: float | None = None) -> None:
    """Returns as soon as one of `events` is set, or after `within` seconds (None: no limit)."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class Follower:
    def __init__(
        self,
        source: Source,
        channel: str,
        handler: Handler,
        *,
        poll_interval: float = 2.0,
        settle: float = 0.0,
        min_backoff: float = 0.05,
        max_backoff: float = 2.0,
        on_reconnect: Callable[[BaseException], None] = lambda _: None,
    ) -> None:
        self.source = source
        self.channel = channel
        self.handler = handler
        self.poll_interval = poll_interval
        self.settle = settle
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.on_reconnect = on_reconnect
        self._listening = False
        self._wake = asyncio.Event()

    @property
    def listening(self) -> bool:
        """Whether the LISTEN connection is up at this moment."""
        return self._listening

    async def run(self, stop: asyncio.Event) -> None:
        """Listens and runs the handler until `stop` is set; reconnects with backoff on any
        database failure, whether of the LISTEN connection or of the handler's own queries."""
        backoff = self.min_backoff
        while not stop.is_set():
            try:
                await self._follow(stop)
            except DATABASE_ERRORS as error:
                self.on_reconnect(error)
                log.warning("follower of %s lost the database (%s: %s); reconnecting in %.2fs",
                            self.channel, type(error).__name__, error, backoff)
                await first_of(stop, within=backoff)
                backoff = min(backoff * 2, self.max_backoff)
            else:
                backoff = self.min_backoff

    async def _follow(self, stop: asyncio.Event) -> None:
        lost = asyncio.Event()

        def notified(*_: object) -> None:
            self._wake.set()

        def closed(*_: object) -> None:
            lost.set()

        async with self._connection() as conn:
            conn.add_termination_listener(closed)
            await conn.add_listener(self.channel, notified)
            self._listening = True
            try:
                while not stop.is_set():
                    self._wake.clear()  # before the handler: a NOTIFY during it runs it again
                    await self.handler()
                    await first_of(self._wake, stop, lost, within=self.poll_interval)
                    if lost.is_set():
                        raise ConnectionError(f"the LISTEN connection for {self.channel} was closed")
                    if self.settle and self._wake.is_set():
                        # Let the rest of a burst commit, so one handler run covers all of it.
                        await first_of(stop, lost, within=self.settle)
            finally:
                self._listening = False
                with contextlib.suppress(*DATABASE_ERRORS):
                    # A pooled connection outlives us, unless the pool already released it.
                    conn.remove_termination_listener(closed)
                    await conn.remove_listener(self.channel, notified)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection | PoolConnectionProxy]:
        if isinstance(self.source, str):
            conn = await asyncpg.connect(self.source, timeout=5)
            try:
                yield conn
            finally:
                with contextlib.suppress(*DATABASE_ERRORS):
                    await asyncio.wait_for(conn.close(), timeout=2)
                if not conn.is_closed():
                    conn.terminate()
            return
        async with self.source.acquire(timeout=5) as pooled:
            yield pooled
