"""Benchmark of the audit (issue 8): chaining, verify and export throughput, and replay of one store.

For each size (default 100,000 and 1,000,000 events) a dedicated database is generated once (stores
of 100 events each, written through the application service) on an embedded PostgreSQL kept in
`--data-dir` and reused by later runs, then measured:
- chain projection: events chained per second (only when the database is first generated);
- verify: events per second for the full walk (global chain + checkpoints + every store's chain);
- export: events per second of NDJSON written (to /dev/null), and the peak-RSS growth while doing it;
- baseline, same run: a bare server-side-cursor read of the same rows, no hashing, no JSON — the
  floor both are compared with.
Replay: `StoreService.store_at` of one store of 100 events and of one of 10,000 events, against
reading that store's rows alone.

    .venv/bin/python bench/audit_throughput.py [--events 100000,1000000] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import psycopg

from audit.chain import ChainProjection, signed_checkpoint_file
from audit.export import ExportWindow, export_events
from audit.schema import ensure_schema
from audit.verify import verify
from domain.service import EVENTS_TABLE, StoreService
from storeplane.database import create_pool, open_service, setup_schema
from storeplane.local_postgres import LocalPostgres
from tests.audit.history import bulk_history

EVENTS_PER_STORE = 100
LONG_STORE_EVENTS = 10_000


def _kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))


def database_for(server_url: str, events: int) -> tuple[str, bool]:
    """The benchmark database of this size, created if missing; True when it must be generated."""
    name = f"audit_bench_{events}"
    admin = server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {name}".encode())
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    setup_schema(url)
    ensure_schema(url)
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()
    return url, (row is None or int(row[0]) < events)


def generate(service: StoreService, events: int) -> float:
    """`events` events: stores of EVENTS_PER_STORE events, plus one long store; returns seconds."""
    started = time.perf_counter()
    stores = (events - LONG_STORE_EVENTS) // EVENTS_PER_STORE
    bulk_history(service, "bench", stores=stores, events_per_store=EVENTS_PER_STORE, per_save=100)
    bulk_history(service, "long", stores=1, events_per_store=LONG_STORE_EVENTS, per_save=1)
    return time.perf_counter() - started


async def baseline_read(pool: asyncpg.Pool) -> tuple[int, float]:
    started = time.perf_counter()
    count = 0
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        async for _ in conn.cursor(
            f"SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM public.{EVENTS_TABLE} ORDER BY notification_id", prefetch=5000,
        ):
            count += 1
    return count, time.perf_counter() - started


def _reset_peak_rss() -> int:
    """Resets the kernel's peak-RSS watermark of this process; returns the current RSS (KiB)."""
    Path("/proc/self/clear_refs").write_text("5")
    return _kib("VmRSS:")


async def measure_verify(pool: asyncpg.Pool, data_dir: Path) -> tuple[int, float, float]:
    """Events walked, seconds and peak-RSS growth (MB) of one full verify; fails if not intact."""
    signed = await signed_checkpoint_file(pool, data_dir)
    before = _reset_peak_rss()
    started = time.perf_counter()
    verdict = await verify(pool, signed=signed)
    elapsed = time.perf_counter() - started
    assert verdict.intact, verdict.broken
    return verdict.events, elapsed, (_kib("VmHWM:") - before) / 1024


async def measure_export(pool: asyncpg.Pool) -> tuple[int, float, float]:
    with open(os.devnull, "w") as sink:  # noqa: ASYNC230 - /dev/null never blocks
        await export_events(pool, ExportWindow(tenant="long"), sink.write)  # warm-up: same code path
        before = _reset_peak_rss()
        started = time.perf_counter()
        count = await export_events(pool, ExportWindow(), sink.write)
        elapsed = time.perf_counter() - started
    return count, elapsed, (_kib("VmHWM:") - before) / 1024


def replay_ms(service: StoreService, store_id: Any, version: int, repeats: int = 5) -> tuple[float, float]:
    """Best of `repeats`: replaying the store up to `version` vs reading its stored events alone.

    `store_at` for a version below the current one replays through `repository.get(version=…)`,
    which is timed here directly: with a version it bypasses the service's aggregate cache (which
    would otherwise answer the current state from memory, not by replay).
    """

    def best(work: Any) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        return min(times) * 1000

    replay = best(lambda: service.repository.get(store_id, version=version))
    read = best(lambda: service.recorder.select_events(store_id))
    return replay, read


def store_with(url: str, versions: int) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT originator_id FROM {EVENTS_TABLE} WHERE originator_version = %s "
                           "AND topic LIKE 'domain.store:%%' LIMIT 1", (versions,)).fetchone()
    assert row is not None, f"no store with {versions} events"
    return row[0]


async def measure_size(url: str, events: int, generated: bool, data_dir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"size": events}
    service = open_service(url)
    pool = await create_pool(url, max_size=3)
    try:
        if generated:
            result["generate_s"] = await asyncio.to_thread(generate, service, events)
            started = time.perf_counter()
            signed = await signed_checkpoint_file(pool, data_dir)
            chained = await ChainProjection(pool, batch_size=5000, signed=signed).catch_up()
            result["chain_rate"] = chained / (time.perf_counter() - started)
        read, read_s = await baseline_read(pool)
        checked, verify_s, verify_mb = await measure_verify(pool, data_dir)
        exported, export_s, export_mb = await measure_export(pool)
        assert read == checked == exported, (read, checked, exported)
        result.update(events=read, read_rate=read / read_s, verify_rate=checked / verify_s,
                      verify_s=verify_s, verify_growth_mb=verify_mb, export_rate=exported / export_s,
                      export_s=export_s, export_growth_mb=export_mb)
        for label, versions in (("replay_100", EVENTS_PER_STORE), ("replay_10k", LONG_STORE_EVENTS)):
            result[label] = await asyncio.to_thread(
                replay_ms, service, store_with(url, versions), versions)
    finally:
        await pool.close()
        service.close()
    return result


def report(r: dict[str, Any]) -> None:
    print(f"\n== {r['events']:,} events ==")
    if "generate_s" in r:
        print(f"generated in {r['generate_s']:.1f} s ({r['events'] / r['generate_s']:,.0f} events/s); "
              f"chain projection {r['chain_rate']:,.0f} events/s")
    base = r["read_rate"]
    print(f"baseline: bare cursor read     {base:>10,.0f} events/s")
    print(f"verify (both chains, checkpts) {r['verify_rate']:>10,.0f} events/s  "
          f"{r['verify_s']:.1f} s  {r['verify_rate'] / base:.2f}x of baseline; "
          f"peak RSS growth {r['verify_growth_mb']:.1f} MB")
    print(f"export NDJSON                  {r['export_rate']:>10,.0f} events/s  "
          f"{r['export_s']:.1f} s  {r['export_rate'] / base:.2f}x of baseline; "
          f"peak RSS growth {r['export_growth_mb']:.1f} MB")
    for label, name in (("replay_100", "100"), ("replay_10k", "10,000")):
        replay, read = r[label]
        print(f"replay of one store of {name} events: {replay:.1f} ms "
              f"(reading its rows alone: {read:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="100000,1000000")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "storeplane-audit-bench")
    args = parser.parse_args()
    server = LocalPostgres(args.data_dir)
    server_url = server.start()
    try:
        for events in (int(e) for e in args.events.split(",")):
            url, must_generate = database_for(server_url, events)
            report(asyncio.run(measure_size(url, events, must_generate, args.data_dir)))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
