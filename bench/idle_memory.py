"""Memory of an idle subscription, by library, beside an idle websocket on the same server (issue 17).

The API runs in this process (uvicorn on the API's own websocket protocol, the broadcaster, a
projection runner) on a fresh durable embedded PostgreSQL; N lean subscribers in a process of their
own (`bench.lean_subscriber`) each open a socket and subscribe to `storeEvents`. tracemalloc, started
just before they connect, charges every block still allocated once all N have joined (after a full
collection) to the innermost frame's library. The baseline, in the same run: N sockets on a bare
ASGI app served by the same uvicorn protocol that only acks `connection_init` and waits — what a
socket costs this server before any GraphQL is involved.

    .venv/bin/python -m bench.idle_memory [--subscribers 1000] [--lines N]

What it counts is Python's allocations; the push benchmark's RSS delta (`bench.api_push_latency`)
agreed with it within 2 KiB when last compared. Kernel socket buffers are in neither.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import socket
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import uvicorn

from bench.api_common import fresh_database, machine
from bench.api_push_latency import Crowd
from graphql_api.config import ApiConfig
from graphql_api.live.socket_protocol import LeanWebSocketProtocol
from graphql_api.server import ApiServer, build_services
from graphql_api.tokens import ensure_schema
from projections.runner import ProjectionRunner
from storeplane.database import create_pool, open_service

QUERY = "subscription { storeEvents { sequence storeId type } }"
# The libraries an allocation is charged to, by a part of its file's path (first match wins).
LIBRARIES = (
    ("uvicorn/", "uvicorn"), ("websockets/", "websockets"), ("starlette/", "starlette"),
    ("strawberry/", "strawberry"), ("graphql/", "graphql-core"), ("/graphql_api/", "storeplane"),
    ("/asyncio/", "asyncio"), ("contextlib.py", "contextlib (async context managers)"),
    ("_weakrefset.py", "weak sets (asyncio's task registry)"), ("/json/", "json"),
)


def library(filename: str) -> str:
    for part, name in LIBRARIES:
        if part in filename:
            return name
    return "other"


Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def bare_socket_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Accepts a websocket, acks its first message as graphql-transport-ws would, then waits."""
    if scope["type"] != "websocket":
        return
    while (message := await receive())["type"] != "websocket.disconnect":
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept", "subprotocol": "graphql-transport-ws"})
        elif message.get("text", "").find("connection_init") >= 0:
            await send({"type": "websocket.send", "text": '{"type":"connection_ack"}'})


@contextlib.asynccontextmanager
async def crowd(port: int, token: str, count: int) -> AsyncIterator[None]:
    """`count` lean subscribers, in a process of their own, for as long as the block runs."""
    subscribers = await Crowd.open(f"http://127.0.0.1:{port}", token, QUERY, count)
    try:
        if await subscribers.ask("") != "subscribed":
            raise RuntimeError("the subscribers did not all connect")
        yield
    finally:
        await subscribers.close()


async def measured(sockets: Callable[[], contextlib.AbstractAsyncContextManager[None]]) -> Counter[str]:
    """Bytes per library allocated while `sockets` opens its sockets, and held while they are open."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        async with sockets():
            gc.collect()
            after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    totals: Counter[str] = collections.Counter()
    for stat in after.compare_to(before, "lineno"):
        frame = stat.traceback[0]
        totals[library(frame.filename)] += stat.size_diff
        totals[f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}"] += stat.size_diff
    return totals


def bound_socket() -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


async def floor(count: int) -> Counter[str]:
    sock, port = bound_socket()
    server = uvicorn.Server(uvicorn.Config(
        bare_socket_app, log_level="warning", lifespan="off", ws=LeanWebSocketProtocol,
        ws_per_message_deflate=False,
    ))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn sets a flag, no event)
        await asyncio.sleep(0.05)

    @contextlib.asynccontextmanager
    async def sockets() -> AsyncIterator[None]:
        async with crowd(port, "none", count):
            await asyncio.sleep(1.0)  # the last acks' sends settle
            yield

    try:
        return await measured(sockets)
    finally:
        server.should_exit = True
        await serving


async def subscriptions(database_url: str, count: int) -> Counter[str]:
    config = ApiConfig(max_sockets_per_token=count, max_sockets_per_address=count)
    app = open_service(database_url)
    pool = await create_pool(database_url, max_size=8)
    stop = asyncio.Event()
    try:
        await ensure_schema(pool)
        services = build_services(database_url=database_url, pool=pool, service=app, config=config)
        _, token = await services.tokens.create(tenant="idle-memory")
        sock, port = bound_socket()
        tasks = [asyncio.create_task(ApiServer(services, sock=sock, dashboard=None).run(stop)),
                 asyncio.create_task(ProjectionRunner(pool).run(stop))]
        await services.broadcaster.connected.wait()

        @contextlib.asynccontextmanager
        async def sockets() -> AsyncIterator[None]:
            async with crowd(port, token, count):
                while services.broadcaster.subscriber_count < count:  # noqa: ASYNC110 (a count)
                    await asyncio.sleep(0.1)
                yield

        try:
            return await measured(sockets)
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await pool.close()
        app.close()


def report(label: str, totals: Counter[str], count: int, *, lines: int) -> None:
    libraries = Counter({name: size for name, size in totals.items() if ":" not in name})
    print(f"{label}: {sum(libraries.values()) / count / 1024:.1f} KiB per socket")
    for name, size in libraries.most_common():
        if abs(size) / count >= 50:
            print(f"    {size / count / 1024:6.2f} KiB  {name}")
    sites = Counter({name: size for name, size in totals.items() if ":" in name})
    for name, size in sites.most_common(lines):
        print(f"      {size / count:6.0f} B  {name}")


async def main(count: int, lines: int) -> None:
    print(f"machine: {machine()}; {count} sockets each")
    report("baseline: an idle websocket on the same server, no GraphQL", await floor(count), count,
           lines=lines)
    with fresh_database() as url:
        report("an idle storeEvents subscription", await subscriptions(url, count), count,
               lines=lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=0, help="also the N largest allocation sites")
    args = parser.parse_args()
    asyncio.run(main(args.subscribers, args.lines))
