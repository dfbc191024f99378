"""Waiting for whichever comes first: a wake-up, a stop, or a timeout.

Shared by the loops that follow the event store (projection runner, audit chain, reconciler
dispatcher): each sleeps until a NOTIFY wakes it, it is told to stop, or its poll interval ends.
"""

from __future__ import annotations

import asyncio


async def first_of(*events: asyncio.Event, within: float | None = None) -> None:
    """Returns as soon as one of `events` is set, or after `within` seconds (None: no limit)."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
