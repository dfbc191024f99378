"""createStore latency through the API with 50 concurrent clients (issue 4; aim: p99 < 25 ms).

`storeplane up` runs in a subprocess on a fresh durable embedded PostgreSQL; each client has its own
tenant and token. Two loads: a closed loop (each client sends its next create as soon as the last
one is answered: the server's saturation) and an open loop (each client one create per second from
a random phase, as 50 people at dashboards would). Baselines in the same run: the same creates
straight through `StoreService` from 50 threads (the event store's own cost), and `{ me }` over the
API (the HTTP + GraphQL + auth floor).

    .venv/bin/python -m bench.api_create_latency [--clients 50] [--creates 40] [--every 1.0]
        [--server-root DIR] [--pg-setting commit_delay=1000 ...] [--client lean|httpx]

The default client is `bench.lean_http` (an `asyncio.Protocol` per connection, a few µs per
request); `--client httpx`, the one earlier rounds used, cost ~8 ms of the generator's CPU per
request, on the same 2 cores as the server. Each row also gives the server process's and
PostgreSQL's CPU time per request (from /proc), which load on the machine does not inflate the way
it inflates latency.

`--pg-setting NAME=VALUE` (repeatable) sets a PostgreSQL parameter on the benchmark's server
(ALTER SYSTEM, then a reload) before anything is measured: group commit (`commit_delay`,
`commit_siblings`) is measured this way rather than argued.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.api_common import ROOT, fresh_database, machine, platform_running, summary
from bench.cpu_time import CpuClock
from bench.lean_http import open_loop, post_request
from bench.split_platform import split_platform_running
from domain.actors import Stamp
from graphql_api.tokens import TokenStore, ensure_schema
from storeplane.database import create_pool, open_service

CREATE = "mutation($input: CreateStoreInput!) { createStore(input: $input) { store { id status } } }"
ME = "{ me { tenant } }"


async def tokens_for(url: str, count: int) -> list[str]:
    pool = await create_pool(url, max_size=2)
    try:
        await ensure_schema(pool)
        store = TokenStore(pool)
        return [(await store.create(tenant=f"bench-{uuid.uuid4().hex[:10]}"))[1] for _ in range(count)]
    finally:
        await pool.close()


async def client(
    http: httpx.AsyncClient, token: str, count: int, *, query: str, every: float = 0.0
) -> list[float]:
    """`count` requests, back to back (`every` = 0), or one each `every` seconds from a random phase."""
    latencies = []
    headers = {"Authorization": f"Bearer {token}"}
    await asyncio.sleep(random.uniform(0, every))  # spreads the clients' phases
    for _ in range(count):
        name = f"s-{uuid.uuid4().hex[:12]}"
        body = {"query": query, "variables": {"input": {"name": name, "engine": "MEDUSA"}}}
        started = time.perf_counter()
        response = await http.post("/graphql", json=body, headers=headers)
        latencies.append(time.perf_counter() - started)
        if "errors" in response.json():
            raise RuntimeError(response.text)
        if every:
            await asyncio.sleep(max(0.0, every - (time.perf_counter() - started)))
    return latencies


async def through_api(
    base: str, tokens: list[str], count: int, *, query: str, every: float = 0.0
) -> tuple[list[float], float]:
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        await asyncio.gather(*(client(http, t, 2, query=ME) for t in tokens))  # open connections
        started = time.perf_counter()
        results = await asyncio.gather(*(client(http, t, count, query=query, every=every) for t in tokens))
        elapsed = time.perf_counter() - started
    return [x for r in results for x in r], len(tokens) * count / elapsed


def request_texts(base: str, tokens: list[str], count: int, query: str) -> list[list[bytes]]:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    return [
        [post_request(host, int(port), "/graphql", {"query": query, "variables": {"input": {
            "name": f"s-{uuid.uuid4().hex[:12]}", "engine": "MEDUSA"}}}, token)
         for _ in range(count)]
        for token in tokens
    ]


async def through_lean_client(
    base: str, tokens: list[str], count: int, *, query: str, every: float = 0.0
) -> tuple[list[float], float]:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    await open_loop(host, int(port), request_texts(base, tokens, 2, ME), 0.0)  # warm-up
    started = time.perf_counter()
    clients = await open_loop(host, int(port), request_texts(base, tokens, count, query), every)
    elapsed = time.perf_counter() - started
    for client in clients:
        for status, body in zip(client.statuses, client.bodies, strict=True):
            if status != 200 or b'"errors"' in body:
                raise RuntimeError(f"{status}: {body[:300]!r}")
    return [x for c in clients for x in c.latencies], len(tokens) * count / elapsed


def through_service(url: str, clients: int, creates: int) -> tuple[list[float], float]:
    service = open_service(url)

    def run(tenant: str) -> list[float]:
        latencies = []
        for i in range(creates):
            started = time.perf_counter()
            service.create_store(tenant=tenant, name=f"s-{i}", engine="medusa", plan="small",
                                 idempotency_key=None, stamp=Stamp("admin:bench", "c"))
            latencies.append(time.perf_counter() - started)
        return latencies

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(run, [f"direct-{uuid.uuid4().hex[:10]}" for _ in range(clients)]))
        elapsed = time.perf_counter() - started
    finally:
        service.close()
    return [x for r in results for x in r], clients * creates / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--creates", type=int, default=40)
    parser.add_argument(
        "--every", type=float, default=1.0, help="open loop: seconds between a client's requests"
    )
    parser.add_argument("--server-root", type=Path, default=ROOT,
                        help="the checkout that serves (an export of an older commit: a baseline)")
    parser.add_argument("--split", action="store_true",
                        help="the API and the followers as separate processes (as the Helm chart "
                             "runs them), not `storeplane up`'s one process")
    parser.add_argument("--client", choices=["lean", "httpx"], default="lean",
                        help="the load generator (see the module)")
    parser.add_argument("--pg-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a PostgreSQL parameter for the benchmark's server (see the module)")
    args = parser.parse_args()
    print(f"machine: {machine()}; {args.clients} concurrent clients x {args.creates} requests each; "
          f"server {args.server_root}; {args.client} client; "
          f"{'api + followers processes' if args.split else 'storeplane up'}")
    drive = through_lean_client if args.client == "lean" else through_api
    n, lines = args.clients, []
    with fresh_database(settings=args.pg_setting) as url:
        direct, rate = through_service(url, n, args.creates)
        lines.append(summary(f"baseline: StoreService.create_store, {n} threads", direct) + f" {rate:5.0f}/s")
        tokens = asyncio.run(tokens_for(url, n))
        serving = split_platform_running if args.split else platform_running
        with serving(url, root=args.server_root) as base:
            clock = CpuClock(url)
            for label, query, every in [
                ("baseline: { me } over the API, closed loop", ME, 0.0),
                ("createStore over the API, closed loop", CREATE, 0.0),
                (f"baseline: {{ me }}, open loop 1 per {args.every}s per client", ME, args.every),
                (f"createStore, open loop 1 per {args.every}s per client", CREATE, args.every),
            ]:
                with clock.measure() as cpu:
                    latencies, rate = asyncio.run(
                        drive(base, tokens, args.creates, query=query, every=every)
                    )
                lines.append(summary(label, latencies) + f" {rate:5.0f}/s  "
                             + cpu.per_request(len(latencies)))
    print("\n".join(lines))
    print(f"after: {machine()}")


if __name__ == "__main__":
    main()
