"""A trivial authenticated query, closed loop (issue 17; aim: 3x the 123 requests/s of issue 4),
beside the floor of a plain Starlette JSON endpoint measured in the same run.

`storeplane up` (fresh durable embedded PostgreSQL) and `bench.plain_starlette` each run in a
subprocess; C clients (one token each) send `{ me { tenant } }` back to back for D seconds, first
to the floor, then to the API. The load generator is one more Python process on the same cores.

    .venv/bin/python -m bench.api_query_throughput [--clients 50] [--seconds 15] [--server-root DIR]
        [--client lean|httpx]

The default client is `bench.lean_http` (a few µs per request); `--client httpx` is the one the
earlier rounds used, whose own CPU capped the floor at 120-180 requests/s on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import uvloop

from bench.api_common import ROOT, free_port, fresh_database, machine, platform_running, summary
from bench.api_create_latency import tokens_for
from bench.lean_http import closed_loop as lean_closed_loop
from bench.lean_http import post_request

ME = "{ me { tenant } }"


async def lean_loop(base: str, tokens: list[str], seconds: float) -> tuple[list[float], float]:
    """The closed loop on `bench.lean_http`: a warm-up second, then `seconds` measured."""
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    requests = [post_request(host, port, "/graphql", {"query": ME}, t) for t in tokens]
    await lean_closed_loop(host, port, requests, 1.0)
    started = time.perf_counter()
    clients = await lean_closed_loop(host, port, requests, seconds)
    elapsed = time.perf_counter() - started
    for client in clients:
        for status, body in zip(client.statuses, client.bodies, strict=True):
            if status != 200 or "errors" in json.loads(body):
                raise RuntimeError(body.decode())
    latencies = [x for c in clients for x in c.latencies]
    return latencies, len(latencies) / elapsed


async def closed_loop(base: str, tokens: list[str], seconds: float) -> tuple[list[float], float]:
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        async def client(token: str, until: float) -> int:
            done = 0
            headers = {"Authorization": f"Bearer {token}"}
            while time.perf_counter() < until:
                started = time.perf_counter()
                response = await http.post("/graphql", json={"query": ME}, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or "errors" in response.json():
                    raise RuntimeError(response.text)
                done += 1
            return done

        await asyncio.gather(*(client(t, time.perf_counter() + 1) for t in tokens))  # warm up
        latencies.clear()
        started = time.perf_counter()
        counts = await asyncio.gather(*(client(t, started + seconds) for t in tokens))
        elapsed = time.perf_counter() - started
    return latencies, sum(counts) / elapsed


@contextlib.contextmanager
def floor_running() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.plain_starlette", str(port)], cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(httpx.TransportError):
                httpx.post(f"{base}/graphql", json={})
                break
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--server-root", type=Path, default=ROOT,
                        help="the checkout that serves (an export of an older commit: a baseline)")
    parser.add_argument("--client", choices=["lean", "httpx"], default="lean",
                        help="the load generator's HTTP client (see the module)")
    args = parser.parse_args()
    loop = lean_loop if args.client == "lean" else closed_loop
    print(f"machine: {machine()}; {args.clients} clients, closed loop, {args.seconds} s, "
          f"client {args.client}; server {args.server_root}")
    lines = []
    with fresh_database() as url, asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        tokens = runner.run(tokens_for(url, args.clients))
        with floor_running() as floor:
            latencies, rate = runner.run(loop(floor, tokens, args.seconds))
            lines.append(summary("floor: plain Starlette JSON endpoint", latencies) + f" {rate:6.0f}/s")
        with platform_running(url, root=args.server_root) as base:
            latencies, rate = runner.run(loop(base, tokens, args.seconds))
            lines.append(summary("{ me { tenant } } over the API, authenticated", latencies)
                         + f" {rate:6.0f}/s")
    print("\n".join(lines))
    print(f"after: {machine()}")


if __name__ == "__main__":
    main()
