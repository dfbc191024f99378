"""One way to run synchronous code (the psycopg event store, file writes) off the event loop.

Used by the API's resolvers, the reconciler's records and the chain's signed file. Each component
gets a lane of its own size (`Threads(10)`), so one component's burst cannot queue another's call
behind it — the reason the API and the reconciler once built executors of their own.

Why anyio: it is what starlette's `run_in_threadpool` runs on, already installed, and its
`CapacityLimiter` gives a per-lane bound over one shared pool of worker threads (a lane costs no
threads of its own). `run_in_threadpool` itself is not used: it has no limiter argument, so every
caller would share starlette's 40 tokens. `abandon_on_cancel=True` keeps what `run_in_executor`
did: a cancelled caller stops waiting at once (the thread finishes its call in the background).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import anyio
import anyio.to_thread

P = ParamSpec("P")
T = TypeVar("T")


class Threads:
    def __init__(self, size: int) -> None:
        self.size = size
        self._limiter: anyio.CapacityLimiter | None = None  # made in the loop that first uses it

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Runs `fn(*args, **kwargs)` on a worker thread, at most `size` at once for this lane."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.size)
        call = functools.partial(fn, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, limiter=self._limiter, abandon_on_cancel=True)
