"""What the API benchmarks share: a fresh embedded PostgreSQL, `storeplane up` in a subprocess (so
the load generator does not share the server's event loop), tokens, and percentiles."""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import httpx
import psycopg
from psycopg import sql

from storeplane.database import setup_schema
from storeplane.local_postgres import LocalPostgres

ROOT = Path(__file__).resolve().parents[1]
UNLIMITED = {  # the limits a benchmark's one tenant (or one address) would otherwise hit first
    "STOREPLANE_MAX_LIVE_STORES": "1000000",
    "STOREPLANE_MUTATION_RATE": "1000000",
    "STOREPLANE_MUTATION_BURST": "1000000",
    "STOREPLANE_QUERY_BUDGET": "1000000000",
    "STOREPLANE_QUERY_BUDGET_RATE": "1000000000",
    "STOREPLANE_MAX_SOCKETS_PER_TOKEN": "1000000",
    "STOREPLANE_MAX_SOCKETS_PER_ADDRESS": "1000000",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"{name:<58} n={len(ms):>6}  p50={percentile(ms, 50):8.1f} ms  "
            f"p99={percentile(ms, 99):8.1f} ms  max={max(ms):8.1f} ms")


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load} (1, 5, 15 min), {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")


@contextlib.contextmanager
def fresh_database(settings: Sequence[str] = ()) -> Iterator[str]:
    """A durable (fsync on) embedded PostgreSQL in a temporary directory, or DATABASE_URL;
    `settings` ("NAME=VALUE") are set on the server first (as its superuser)."""
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        apply_settings(url, settings)
        setup_schema(url)
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="storeplane-api-bench-") as tmp:
        server = LocalPostgres(Path(tmp), durable=True)
        try:
            url = server.start()
            apply_settings(server.admin_url(), settings)
            setup_schema(url)
            yield url
        finally:
            server.stop()


def apply_settings(admin_url: str, settings: Sequence[str]) -> None:
    """ALTER SYSTEM for each "NAME=VALUE", then a reload; prints each value as the server shows it."""
    if not settings:
        return
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for setting in settings:
            name, _, value = setting.partition("=")
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        conn.execute("SELECT pg_reload_conf()")
        for setting in settings:
            name = setting.partition("=")[0]
            shown = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            print(f"PostgreSQL {name} = {shown[0] if shown else '?'}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def platform_running(database_url: str, *, root: Path = ROOT, args: tuple[str, ...] = ()) -> Iterator[str]:
    """`storeplane up` (projections + API, without the reconciler: its provisioning would move the
    benchmark's stores on and start a local cluster on the same cores) on a free port; yields its URL.

    `root` is the checkout whose code serves (`-m` imports from the working directory first): an
    export of an older commit gives a same-run baseline of the server as it was."""
    port = free_port()
    # STOREPLANE_BENCH_SERVER_LOG: where the server's log goes (nowhere by default).
    with open(os.environ.get("STOREPLANE_BENCH_SERVER_LOG", os.devnull), "ab") as log:
        yield from _serving(database_url, port, root, args, log)


def wait_ready(base: str, processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """Until `base` answers /readyz; fails at once if one of `processes` has exited."""
    for _ in range(600):
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a platform process exited during start-up")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the platform at {base} did not become ready")


def _serving(database_url: str, port: int, root: Path, args: tuple[str, ...],
             log: IO[bytes]) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "storeplane.cli", "up", "--no-reconciler", "--port", str(port), *args],
        stdout=subprocess.DEVNULL, stderr=log, cwd=root,
        env={**os.environ, **UNLIMITED, "DATABASE_URL": database_url},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, [process])
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
