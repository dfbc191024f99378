"""Runs the platform's long-lived tasks under one supervisor (`storeplane up`).

Each root task is named; when one fails the others are cancelled and the failure is reported, and
SIGINT/SIGTERM stop them all cleanly through the shared stop event.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

log = logging.getLogger(__name__)

RootTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def supervise(tasks: Mapping[str, RootTask], *, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running: dict[asyncio.Task[None], str] = {
        asyncio.create_task(run(stop), name=name): name for name, run in tasks.items()
    }
    try:
        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.error("task %s failed", running[task], exc_info=task.exception())
        await asyncio.wait_for(asyncio.gather(*running, return_exceptions=True), timeout=30)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    failed = [running[t] for t in running if not t.cancelled() and t.exception() is not None]
    if failed:
        raise RuntimeError(f"storeplane stopped because {', '.join(failed)} failed")
