"""Several API processes on one port: `--workers N` for `storeplane up` and `storeplane api`.

Fed by the composition root, which serves one API in its own process and asks here for the rest;
each extra worker is a `storeplane api --reuse-port` child with its own event loop, database pool
and LISTEN connection, and the kernel spreads new connections over every process bound with
SO_REUSEPORT. Shared state lives in PostgreSQL only (quotas, tokens, the event feed), so the
workers need nothing from each other.

Why processes and not uvicorn's `--workers`: uvicorn's supervisor owns signals and the event loop,
while ours must run the API beside the other root tasks in one task group; a child per worker,
supervised like any root task (its exit stops the platform; the platform's stop ends it), keeps
one owner for every process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

RootTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
STOP_SECONDS = 20.0


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket other processes can bind too (SO_REUSEPORT); the kernel balances them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(False)
    return sock


def worker_process(index: int, *, database_url: str, host: str, port: int, dev: bool) -> RootTask:
    """API worker `index` as a child process, for as long as the platform runs."""
    command = [sys.executable, "-m", "storeplane.cli", "api", "--host", host, "--port", str(port),
               "--reuse-port", "--quiet"]
    if dev:
        command.append("--dev")

    async def run(stop: asyncio.Event) -> None:
        env = {**os.environ, "DATABASE_URL": database_url}
        child = await asyncio.create_subprocess_exec(*command, env=env)
        exited = asyncio.create_task(child.wait())
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if exited.done() and not stop.is_set():
                raise RuntimeError(f"API worker {index} exited with status {child.returncode}")
        finally:
            stopping.cancel()
            await _end(child, exited)

    return run


async def _end(child: asyncio.subprocess.Process, exited: asyncio.Task[int]) -> None:
    """SIGTERM (the worker stops like any storeplane process), then SIGKILL after STOP_SECONDS."""
    if child.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(exited), timeout=STOP_SECONDS)
        except TimeoutError:
            log.warning("API worker pid %d did not stop within %.0fs; killed", child.pid, STOP_SECONDS)
            with contextlib.suppress(ProcessLookupError):
                child.kill()
    await exited
