"""Event committed → pushed to a subscriber, with 1,000 open subscriptions (issue 4; aim: p99 < 50 ms),
compared in the same run with the original design's 5-second polling; and up to 10,000 over several
API processes (issue 17), checking that each subscriber got every event exactly once, in order.

`storeplane up` (projection runner + API) runs in a subprocess on a fresh durable embedded
PostgreSQL. This process opens N websocket subscriptions (`storeEvents` of one tenant, so every
subscriber receives every event), commits events through `StoreService` one at a time, and records
when each subscriber receives each event. The path measured is the whole live path: commit →
NOTIFY → projection batch → NOTIFY → broadcaster → N websockets → this process parsing them. The
polling baseline: P clients each asking for the store's new events every 5 s from a random phase.

    .venv/bin/python -m bench.api_push_latency [--subscribers 1000 5000] [--events 30] [--pollers 100]
        [--server-root DIR] [--workers N] [--generators G]

The lean subscribers (the default) live in G processes of their own (`bench.lean_subscriber`), and
subscribe with `storeEvents(after: <the feed's sequence before the phase>)`: whenever a socket's
subscription joins, it must then receive exactly the phase's events (catch-up, then live), which the
benchmark checks socket by socket. The server's memory is the resident memory of every API process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import uvloop
from websockets.asyncio.client import connect

from bench.api_common import ROOT, fresh_database, machine, platform_running, summary
from bench.lean_subscriber import LeanSubscriber
from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store
from graphql_api.tokens import TokenStore, ensure_schema
from storeplane.database import create_pool, open_service

SYSTEM = "system:reconciler"
SUBSCRIBE = "subscription { storeEvents { version } }"
POLL = "query($id: ID!, $after: Int!) { store(id: $id) { events(after: $after) { sequence version } } }"
POLL_SECONDS = 5.0


async def new_token(url: str) -> str:
    pool = await create_pool(url, max_size=2)
    try:
        await ensure_schema(pool)
        return (await TokenStore(pool).create(tenant=f"bench-{uuid.uuid4().hex[:10]}"))[1]
    finally:
        await pool.close()


async def subscriber(ws_url: str, token: str, joined: asyncio.Queue[None],
                     received: list[tuple[str | bytes, float]]) -> None:
    async with connect(ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                       open_timeout=120, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        joined.put_nowait(None)
        # Kept cheap, since it shares the 2 cores with the server: no wait_for (a task per message),
        # the stop is a cancellation, and `next` messages are kept raw (parsed after the run).
        async for raw in ws:
            if '"next"' in raw:  # not the keep-alive pings
                received.append((raw, time.perf_counter()))


async def lean_subscriber(base: str, token: str) -> LeanSubscriber:
    host, port = base.removeprefix("http://").split(":")
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        lambda: LeanSubscriber(host, int(port), token, SUBSCRIBE), host, int(port))
    await asyncio.wait_for(protocol.subscribed, 120)
    return protocol


def versions(received: list[tuple[str | bytes, float]]) -> list[tuple[int, float]]:
    """The version each `next` message carried, with when it arrived."""
    found = []
    for raw, at in received:
        message: dict[str, Any] = json.loads(raw)
        if message["type"] == "next":
            found.append((message["payload"]["data"]["storeEvents"]["version"], at))
    return found


def note(i: int) -> Any:
    def command(store: Store) -> None:
        store.note_progress(reason=f"step {i}", stamp=Stamp(SYSTEM, f"c-{i}"))

    return command


async def commit_events(service: StoreService, store_id: UUID, count: int, gap: float,
                        first: int) -> dict[int, float]:
    committed = {}
    for i in range(count):
        store = await asyncio.to_thread(service.change, store_id, note(first + i))
        committed[store.version] = time.perf_counter()
        await asyncio.sleep(gap)
    return committed


async def pushed_websockets(base: str, token: str, service: StoreService, store_id: UUID,
                            subscribers: int, events: int, first: int, gap: float) -> list[float]:
    received: list[tuple[str | bytes, float]] = []
    joined: asyncio.Queue[None] = asyncio.Queue()
    ws_url = base.replace("http://", "ws://") + "/graphql"
    tasks = []
    for _ in range(subscribers):  # open them in waves, as a real population would arrive
        tasks.append(asyncio.create_task(subscriber(ws_url, token, joined, received)))
        if len(tasks) % 50 == 0:
            await asyncio.sleep(0.2)
    for _ in range(subscribers):
        await joined.get()
    await asyncio.sleep(1)
    committed = await commit_events(service, store_id, events, gap, first)
    for _ in range(600):  # let the last pushes arrive (bounded: a minute)
        if len(received) >= subscribers * events:
            break
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [at - committed[v] for v, at in versions(received) if v in committed]
    if len(latencies) != subscribers * events:
        print(f"warning: {len(latencies)} deliveries of {subscribers * events} expected")
    return latencies


def server_pids(base: str) -> list[int]:
    """The processes listening on `base`'s port (the API, with `storeplane up`; with `--workers N`,
    each binds its own SO_REUSEPORT socket), found through /proc (Linux): the listening sockets'
    inodes, then the processes holding them."""
    port = int(base.rsplit(":", 1)[1])
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
            inodes.add(f"socket:[{fields[9]}]")
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                pids.append(int(proc.name))
    return pids


def server_rss(pids: list[int]) -> int:
    """The resident memory of `pids`, summed."""
    total = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        total += int(status.split("VmRSS:")[1].split()[0]) * 1024
    return total


async def wait_for_workers(base: str, workers: int) -> list[int]:
    """The API processes once all `workers` listen (the first answers /readyz before the rest)."""
    for _ in range(600):
        pids = server_pids(base)
        if len(pids) >= workers:
            await asyncio.sleep(2)  # each worker's broadcaster connects right after it binds
            return pids
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{workers} API processes did not all listen on {base}")


class Crowd:
    """A `bench.lean_subscriber` process holding `count` subscriptions, driven over its pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def open(cls, base: str, token: str, query: str, count: int) -> Crowd:
        host, port = base.removeprefix("http://").split(":")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.lean_subscriber", "--host", host, "--port", port,
            "--token", token, "--query", query, "--count", str(count),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT)
        return cls(process)

    async def ask(self, line: str) -> str:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        if line:
            self.process.stdin.write(f"{line}\n".encode())
            await self.process.stdin.drain()
        answer = (await self.process.stdout.readline()).decode().strip()
        if not answer:
            raise RuntimeError(f"subscriber process {self.process.pid} ended (status "
                               f"{await self.process.wait()})")
        return answer

    async def close(self) -> None:
        """Ends the process (it closes its sockets when its stdin closes)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        await self.process.wait()

    async def frames(self, path: Path) -> list[list[tuple[float, str]]]:
        """Every socket's frames; the process closes its sockets and ends."""
        await self.ask(f"dump {path}")
        await self.process.wait()
        frames: list[list[tuple[float, str]]] = json.loads(await asyncio.to_thread(path.read_text))
        await asyncio.to_thread(path.unlink)
        return frames


def check_exactly_once(sockets: list[list[tuple[float, str]]], expected: list[int]) -> list[str]:
    """What is wrong with any socket's deliveries: each must carry every version of `expected`,
    once, in order, and nothing else (no error, no `complete`)."""
    problems: dict[str, int] = {}
    for frames in sockets:
        got = []
        for _, text in frames:
            message: dict[str, Any] = json.loads(text)
            if message.get("type") == "ping":
                continue
            if message.get("type") != "next" or "errors" in message["payload"]:
                kind = f"unexpected message {text[:120]}"
                problems[kind] = problems.get(kind, 0) + 1
                continue
            got.append(message["payload"]["data"]["storeEvents"]["version"])
        if got != expected:
            kind = ("duplicated" if len(set(got)) < len(got) else "lost" if len(got) < len(expected)
                    else "out of order" if sorted(got) == sorted(expected) else "other")
            problems[kind] = problems.get(kind, 0) + 1
    return [f"{count} sockets: {kind}" for kind, count in problems.items()]


@dataclass
class Target:
    """What every phase pushes to and through: the server, its processes, the one store."""

    url: str
    base: str
    token: str
    service: StoreService
    store_id: UUID
    pids: list[int]
    tmp: Path
    version: int  # the store's last committed version


async def pushed(target: Target, subscribers: int, first: int, args: argparse.Namespace) -> list[float]:
    if args.client == "websockets":
        return await pushed_websockets(target.base, target.token, target.service, target.store_id,
                                       subscribers, args.events, first, args.gap)
    after = await feed_position(target.url, target.store_id, target.version)
    latencies, target.version = await pushed_lean(
        target, subscribers, args.events, first, args.gap, after=after, generators=args.generators)
    return latencies


async def pushed_lean(target: Target, subscribers: int, events: int, first: int, gap: float, *,
                      after: int, generators: int) -> tuple[list[float], int]:
    base, token, pids = target.base, target.token, target.pids
    # From the sequence before this phase's first event: catch-up then live, so whenever a
    # socket's subscription joins the broadcaster, it must get exactly this phase's events.
    query = f"subscription {{ storeEvents(after: {after}) {{ version }} }}"
    before = server_rss(pids)
    share, extra = divmod(subscribers, generators)
    crowds = [await Crowd.open(base, token, query, share + (i < extra))
              for i in range(generators) if share + (i < extra)]
    for crowd in crowds:
        if await crowd.ask("") != "subscribed":
            raise RuntimeError("a subscriber process did not subscribe")
    await asyncio.sleep(1)
    grown = server_rss(pids) - before
    print(f"{subscribers} idle subscriptions over {len(pids)} API process(es): server RSS grew "
          f"{grown / 2**20:.1f} MiB, {grown / subscribers / 1024:.1f} KiB each (socket, uvicorn, "
          "strawberry operation, subscription)")
    committed = await commit_events(target.service, target.store_id, events, gap, first)
    for _ in range(600):  # let the last pushes arrive (bounded: a minute)
        counts = [int(await crowd.ask("count")) for crowd in crowds]
        if sum(counts) >= subscribers * events:
            break
        await asyncio.sleep(0.1)
    sockets = [s for i, crowd in enumerate(crowds)
               for s in await crowd.frames(target.tmp / f"crowd-{i}.json")]
    problems = check_exactly_once(sockets, list(committed))
    print(f"{subscribers} subscribers: each got every event exactly once, in order: "
          f"{'yes' if not problems else 'NO: ' + '; '.join(problems)}")
    received: list[tuple[str | bytes, float]] = [(raw, at) for s in sockets for at, raw in s]
    arrivals = [(v, at - committed[v]) for v, at in versions(received) if v in committed]
    print_spread(subscribers, arrivals)
    return [latency for _, latency in arrivals], max(committed)


def print_spread(subscribers: int, arrivals: list[tuple[int, float]]) -> None:
    """Per event, when its first and its last subscriber got it: the first is the path up to the
    fan-out (commit, projection, NOTIFY, the broadcaster's read), the difference the fan-out itself."""
    by_event: dict[int, list[float]] = {}
    for version, latency in arrivals:
        by_event.setdefault(version, []).append(latency)
    firsts = sorted(min(v) * 1000 for v in by_event.values())
    spreads = sorted((max(v) - min(v)) * 1000 for v in by_event.values())
    if firsts:
        print(f"{subscribers} subscribers, per event: first delivery median "
              f"{firsts[len(firsts) // 2]:.1f} ms "
              f"(max {firsts[-1]:.1f}); first to last median {spreads[len(spreads) // 2]:.1f} ms "
              f"(max {spreads[-1]:.1f})")


async def poller(http: httpx.AsyncClient, token: str, store_id: UUID, after: int,
                 seen: list[tuple[int, float]], stop: asyncio.Event) -> None:
    await asyncio.sleep(random.uniform(0, POLL_SECONDS))  # pollers start at random phases
    while not stop.is_set():
        response = await http.post("/graphql", json={"query": POLL, "variables": {
            "id": str(store_id), "after": after}}, headers={"Authorization": f"Bearer {token}"})
        now = time.perf_counter()
        for event in response.json()["data"]["store"]["events"]:
            seen.append((event["version"], now))
            after = event["sequence"]
        await asyncio.sleep(POLL_SECONDS)


async def polled(base: str, token: str, service: StoreService, store_id: UUID, pollers: int,
                 events: int, first: int, after: int) -> list[float]:
    seen: list[tuple[int, float]] = []
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        tasks = [asyncio.create_task(poller(http, token, store_id, after, seen, stop))
                 for _ in range(pollers)]
        await asyncio.sleep(POLL_SECONDS)
        committed = await commit_events(service, store_id, events, 1.0, first)
        await asyncio.sleep(POLL_SECONDS + 1)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return [at - committed[v] for v, at in seen if v in committed]


async def run(url: str, base: str, args: argparse.Namespace, tmp: Path) -> list[str]:
    token = await new_token(url)
    service = open_service(url)
    pids = await wait_for_workers(base, args.workers)
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            body = {"query": "mutation { createStore(input: {name: \"bench\", engine: MEDUSA}) "
                             "{ store { id } } }"}
            created = await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
        store_id = UUID(created.json()["data"]["createStore"]["store"]["id"])
        store = await asyncio.to_thread(service.change, store_id,
                                        lambda s: s.start_provisioning(stamp=Stamp(SYSTEM, "c")))
        target = Target(url, base, token, service, store_id, pids, tmp, store.version)
        one = await pushed(target, 1, 0, args)
        lines = [summary("baseline: push to 1 subscriber", one)]
        for n, count in enumerate(args.subscribers):
            many = await pushed(target, count, 1000 * (n + 1), args)
            lines.append(summary(f"push to each of {count} subscribers", many))
        if args.pollers:
            after = await last_sequence(url, store_id)
            polls = await polled(base, token, service, store_id, args.pollers, 10, 100_000, after)
            lines.append(summary(f"baseline: 5 s polling, {args.pollers} pollers (original design)", polls))
    finally:
        service.close()
    return lines


async def feed_position(url: str, store_id: UUID, version: int) -> int:
    """The feed sequence of the store's event `version`, once the projection has written it."""
    pool = await create_pool(url, max_size=1)
    try:
        for _ in range(600):
            value = await pool.fetchval(
                "SELECT sequence FROM read_model.store_events WHERE store_id = $1 AND version = $2",
                store_id, version)
            if value is not None:
                return int(value)
            await asyncio.sleep(0.1)
        raise RuntimeError(f"event {version} of store {store_id} never reached the feed")
    finally:
        await pool.close()


async def last_sequence(url: str, store_id: UUID) -> int:
    pool = await create_pool(url, max_size=1)
    try:
        value = await pool.fetchval(
            "SELECT coalesce(max(sequence), 0) FROM read_model.store_events WHERE store_id = $1", store_id
        )
        return int(value)
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000],
                        help="one run per count, one after the other, on the same server")
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--pollers", type=int, default=100)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between committed events")
    parser.add_argument("--server-root", type=Path, default=ROOT,
                        help="the checkout that serves (an export of an older commit: a baseline)")
    parser.add_argument("--client", choices=["lean", "websockets"], default="lean",
                        help="subscribers: bench.lean_subscriber, or the websockets library's client")
    parser.add_argument("--workers", type=int, default=1,
                        help="API processes (storeplane up --workers N, SO_REUSEPORT)")
    parser.add_argument("--generators", type=int, default=1,
                        help="processes the lean subscribers are spread over (one cannot read 10,000)")
    args = parser.parse_args()
    print(f"machine: {machine()}; {args.events} events, one each {args.gap} s; "
          f"server {args.server_root}; {args.client} subscribers; {args.workers} API process(es), "
          f"{args.generators} subscriber process(es)")
    workers = ("--workers", str(args.workers))
    with (fresh_database() as url, platform_running(url, root=args.server_root, args=workers) as base,
          tempfile.TemporaryDirectory(prefix="storeplane-push-") as tmp,
          asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner):
        lines = runner.run(run(url, base, args, Path(tmp)))
    print("\n".join(lines))
    print(f"after: {machine()}")


if __name__ == "__main__":
    main()
