"""What starting a helm child costs the reconciler's event loop (issue 17, reaction).

Every round of every store starts helm (`status`, then `history`), so the time a child's start
holds the event loop is time no other store is worked on. Two ways, in the same run and process:
the baseline `asyncio.create_subprocess_exec` on uvloop (what `reconciler.cluster.helm` used:
libuv forks the whole process while the loop waits), and `Helm.run` (Popen's vfork, the wait for
output on a thread). The child is `true` behind the same `setpriv` wrapper helm gets, so only the
start is measured, not helm's own work; the process carries `--ballast` MiB of memory and ten idle
threads, as a reconciler at 150 MB with its service threads does (a fork's cost grows with both).

    .venv/bin/python -m bench.helm_spawn [--children 200] [--ballast 150]

Printed per way: the loop's stall per child start (the time the start call itself held the loop),
p50 / p99 / max, and wall time per child (start to reaped).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvloop

from bench.api_common import machine, summary
from reconciler.cluster import helm as helm_module
from reconciler.cluster.helm import Helm

TRUE = shutil.which("true") or "/bin/true"


async def uvloop_child() -> float:
    """The baseline: returns how long the start call held the loop."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *helm_module._DIE_WITH_PARENT, TRUE, "status",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    held = time.perf_counter() - started
    await process.communicate()
    return held


def helm_child() -> Callable[[], Awaitable[float]]:
    """`Helm.run`, with its `subprocess.Popen` call timed (the start is all that holds the loop)."""
    helm = Helm(binary=TRUE)
    original = subprocess.Popen
    held: list[float] = []

    def timed_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started = time.perf_counter()
        process = original(*args, **kwargs)
        held.append(time.perf_counter() - started)
        return process

    async def child() -> float:
        subprocess.Popen = timed_popen  # type: ignore[assignment, misc]
        try:
            await helm.run(["status"], limit=timedelta(seconds=30))
        finally:
            subprocess.Popen = original  # type: ignore[misc]
        return held.pop()

    return child


async def measure(label: str, child: Callable[[], Awaitable[float]], children: int) -> None:
    held: list[float] = []
    started = time.perf_counter()
    for _ in range(children):
        held.append(await child())
    wall = time.perf_counter() - started
    print(summary(f"{label}, loop held at start", held), f"  {wall / children * 1000:.2f} ms per child")


async def main(args: argparse.Namespace) -> None:
    ballast = [bytearray(1 << 20) for _ in range(args.ballast)]
    for block in ballast:
        block[::4096] = b"x" * len(block[::4096])  # touched, so the pages are really mapped
    idle = threading.Event()
    threads = [threading.Thread(target=idle.wait, daemon=True) for _ in range(10)]
    for thread in threads:
        thread.start()
    print(f"{machine()}; {args.children} children each; {args.ballast} MiB ballast, 10 idle threads")
    try:
        await measure("baseline: create_subprocess_exec (uvloop)", uvloop_child, args.children)
        await measure("Helm.run: Popen (vfork), waited on a thread", helm_child(), args.children)
    finally:
        idle.set()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--ballast", type=int, default=150, help="MiB of memory the process holds")
    uvloop.run(main(parser.parse_args()))
