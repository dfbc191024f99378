"""Polling helper for cluster tests: controllers act asynchronously, so assert eventually.

Fed by a probe coroutine from a test; feeds the test the probe's first non-None answer,
or fails with the last observation after the timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    what: str,
    within: float = 60,
    interval: float = 0.5,
) -> T:
    deadline = time.monotonic() + within
    while True:
        answer = await probe()
        if answer is not None:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what}")
        await asyncio.sleep(interval)
