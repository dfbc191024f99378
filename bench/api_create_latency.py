"""createStore latency through the API with 50 concurrent clients (issue 4; aim: p99 < 25 ms).

`storeplane up` runs in a subprocess on a fresh durable embedded PostgreSQL; each client has its own
tenant and token. Two loads: a closed loop (each client sends its next create as soon as the last
one is answered: the server's saturation) and an open loop (each client one create per second from
a random phase, as 50 people at dashboards would). Baselines in the same run: the same creates
straight through `StoreService` from 50 threads (the event store's own cost), and `{ me }` over the
API (the HTTP + GraphQL + auth floor).

    .venv/bin/python -m bench.api_create_latency [--clients 50] [--creates 40] [--every 1.0]
        [--server-root DIR] [--pg-setting commit_delay=1000 ...]

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
    parser.add_argument("--pg-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a PostgreSQL parameter for the benchmark's server (see the module)")
    args = parser.parse_args()
    print(f"machine: {machine()}; {args.clients} concurrent clients x {args.creates} requests each; "
          f"server {args.server_root}")
    n, lines = args.clients, []
    with fresh_database(settings=args.pg_setting) as url:
        direct, rate = through_service(url, n, args.creates)
        lines.append(summary(f"baseline: StoreService.create_store, {n} threads", direct) + f" {rate:5.0f}/s")
        tokens = asyncio.run(tokens_for(url, n))
        with platform_running(url, root=args.server_root) as base:
            for label, query, every in [
                ("baseline: { me } over the API, closed loop", ME, 0.0),
                ("createStore over the API, closed loop", CREATE, 0.0),
                (f"baseline: {{ me }}, open loop 1 per {args.every}s per client", ME, args.every),
                (f"createStore, open loop 1 per {args.every}s per client", CREATE, args.every),
            ]:
                latencies, rate = asyncio.run(
                    through_api(base, tokens, args.creates, query=query, every=every)
                )
                lines.append(summary(label, latencies) + f" {rate:5.0f}/s")
    print("\n".join(lines))
    print(f"after: {machine()}")


if __name__ == "__main__":
    main()
