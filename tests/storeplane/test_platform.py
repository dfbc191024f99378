"""The composition root's supervision: one task group, a shared stop event, a grace period."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from storeplane.platform import supervise


async def _until_stopped(stop: asyncio.Event, finished: list[str], name: str) -> None:
    await stop.wait()
    finished.append(name)


@pytest.mark.asyncio
async def test_a_failing_task_stops_the_others_gracefully_and_is_named() -> None:
    finished: list[str] = []

    async def failing(stop: asyncio.Event) -> None:
        await asyncio.sleep(0.01)
        raise ValueError("boom")

    async def steady(stop: asyncio.Event) -> None:
        await _until_stopped(stop, finished, "steady")

    with pytest.raises(RuntimeError, match="because failing failed"):
        await supervise({"failing": failing, "steady": steady})
    assert finished == ["steady"]  # it saw the stop event and ended on its own, not cancelled


@pytest.mark.asyncio
async def test_a_task_that_ignores_stop_is_cancelled_after_the_grace() -> None:
    cancelled: list[str] = []

    async def stubborn(stop: asyncio.Event) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append("stubborn")
            raise

    async def short(stop: asyncio.Event) -> None:
        return  # ending is a reason to stop the platform

    await supervise({"stubborn": stubborn, "short": short}, grace=0.05)
    assert cancelled == ["stubborn"]


@pytest.mark.asyncio
async def test_sigterm_sets_the_stop_event_and_every_task_ends() -> None:
    finished: list[str] = []

    async def first(stop: asyncio.Event) -> None:
        asyncio.get_running_loop().call_later(0.01, os.kill, os.getpid(), signal.SIGTERM)
        await _until_stopped(stop, finished, "first")

    async def second(stop: asyncio.Event) -> None:
        await _until_stopped(stop, finished, "second")

    await supervise({"first": first, "second": second})
    assert sorted(finished) == ["first", "second"]
