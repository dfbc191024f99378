"""Benchmark of the event-sourced core (issue 2): appends, projection throughput and rebuild time.

Runs against a fresh embedded PostgreSQL (fsync on, as in production) unless DATABASE_URL is set.
Each number is printed beside a baseline measured in the same run:
- store creates per second: 16 concurrent writers vs one sequential writer;
- projection: events applied per second in batches of 1,000 vs one event per transaction;
- rebuild of the read model from 100,000 events (aim: under 10 s on this 2-core machine).
`--without-chain-trigger` drops the audit trigger that chains each event as it is appended
(`audit.trigger`), to measure what chaining at commit costs the appends.

    .venv/bin/python bench/core_events.py [--events 100000] [--creates 1000] [--without-chain-trigger]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from audit.trigger import TRIGGER_NAME
from domain.actors import Stamp
from domain.catalog import PlanCatalog
from domain.service import EVENTS_TABLE, StoreService
from domain.store import Store
from projections.runner import ProjectionRunner
from storeplane.database import create_pool, open_service, setup_schema
from storeplane.local_postgres import LocalPostgres

SYSTEM = "system:reconciler"


def creates_per_second(service: StoreService, count: int, writers: int) -> float:
    tenant = f"bench-{uuid.uuid4().hex[:8]}"

    def create(i: int) -> None:
        service.create_store(
            tenant=tenant, name=f"s-{i}", engine="woocommerce", plan="small",
            idempotency_key=None, stamp=Stamp("admin:bench", f"c-{i}"),
        )

    started = time.perf_counter()
    if writers == 1:
        for i in range(count):
            create(i)
    else:
        with ThreadPoolExecutor(max_workers=writers) as pool:
            list(pool.map(create, range(count)))
    return count / (time.perf_counter() - started)


def append_history(service: StoreService, events: int) -> None:
    """Appends `events` store events (four per store: requested → ready), 500 stores per write."""
    plans = PlanCatalog()
    tenant = f"hist-{uuid.uuid4().hex[:8]}"
    stores_needed = events // 4
    for start in range(0, stores_needed, 500):
        batch = []
        for i in range(start, min(start + 500, stores_needed)):
            store = Store.request(
                name=f"h-{i}", tenant=tenant, engine="medusa", plan="small", idempotency_key=None,
                stamp=Stamp("admin:bench", f"c-{i}"), plans=plans,
            )
            store.start_provisioning(stamp=Stamp(SYSTEM, f"c-{i}"))
            store.record_namespace_ready(namespace=store.namespace, stamp=Stamp(SYSTEM, "c"))
            store.record_ready(url=f"http://h-{i}.{tenant}.example", check="", stamp=Stamp(SYSTEM, "c"))
            batch.append(store)
        service.save(*batch)


async def projection_numbers(url: str, baseline_events: int) -> tuple[float, float, float, int]:
    pool = await create_pool(url, max_size=4)
    try:
        single = ProjectionRunner(pool, batch_size=1, notify=False)
        # Baseline: one event per transaction, over the first events of the history.
        async with pool.acquire() as conn:
            await conn.execute("TRUNCATE read_model.stores, read_model.store_events")
            await conn.execute("UPDATE read_model.tracking SET position = 0")
        started = time.perf_counter()
        for _ in range(baseline_events):
            await single.apply_next_batch()
        per_event_rate = baseline_events / (time.perf_counter() - started)

        batched = ProjectionRunner(pool, batch_size=1000, notify=False)
        started = time.perf_counter()
        applied = await batched.catch_up()
        batched_rate = applied / (time.perf_counter() - started)

        started = time.perf_counter()
        rebuilt = await batched.rebuild()
        rebuild_seconds = time.perf_counter() - started
        return per_event_rate, batched_rate, rebuild_seconds, rebuilt
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--creates", type=int, default=1000)
    parser.add_argument("--without-chain-trigger", action="store_true")
    args = parser.parse_args()

    server = None
    url = os.environ.get("DATABASE_URL")
    if not url:
        server = LocalPostgres(Path(tempfile.mkdtemp(prefix="storeplane-bench-")), durable=True)
        url = server.start()
    try:
        setup_schema(url)
        if args.without_chain_trigger:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"DROP TRIGGER {TRIGGER_NAME} ON public.{EVENTS_TABLE}".encode())
        print(f"chain trigger: {'off' if args.without_chain_trigger else 'on'}")
        service = open_service(url)
        sequential = creates_per_second(service, args.creates, writers=1)
        concurrent = creates_per_second(service, args.creates, writers=16)
        print(f"creates/s, 1 writer (baseline):   {sequential:8.0f}")
        print(f"creates/s, 16 concurrent writers: {concurrent:8.0f}  ({concurrent / sequential:.2f}x)")

        started = time.perf_counter()
        append_history(service, args.events)
        print(f"appended {args.events} events in {time.perf_counter() - started:.1f}s")
        service.close()

        per_event, batched, rebuild_s, rebuilt = asyncio.run(projection_numbers(url, 5_000))
        print(f"projection events/s, 1 per transaction (baseline): {per_event:8.0f}")
        print(f"projection events/s, batches of 1000:             {batched:8.0f}  "
              f"({batched / per_event:.1f}x)")
        print(f"rebuild of {rebuilt} events: {rebuild_s:.2f}s (aim: < 10 s for 100,000)")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
