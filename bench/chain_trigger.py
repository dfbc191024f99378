"""What chaining each event at commit costs the appends (issue 12, "tamper evidence from the moment
of commit").

Two databases on one embedded PostgreSQL (fsync on), identical but for the audit trigger
(`audit.trigger`): one has it, the other has it dropped. Rounds alternate between them (A B A B …)
so both see the same load from whatever else runs on the machine; the median round is reported.
- creates per second: `StoreService.create_store`, one writer, one transaction per create (two
  events: the store and its name reservation) — the API's path;
- bulk appends: `StoreService.save` of 500 stores x 4 events in one transaction (imports, benches).

    .venv/bin/python bench/chain_trigger.py [--rounds 5] [--creates 200] [--bulk-stores 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from audit.trigger import TRACKING_TRIGGER_NAME, TRIGGER_NAME
from bench.core_events import append_history, creates_per_second
from domain.service import EVENTS_TABLE, StoreService
from storeplane.database import open_service, setup_schema
from storeplane.local_postgres import LocalPostgres


def fresh_database(base: str, *, trigger: bool) -> str:
    name = f"bench_trigger_{'on' if trigger else 'off'}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    setup_schema(url)
    if not trigger:
        with psycopg.connect(url, autocommit=True) as conn:
            for name in (TRIGGER_NAME, TRACKING_TRIGGER_NAME):
                conn.execute(f"DROP TRIGGER {name} ON public.{EVENTS_TABLE}".encode())
    return url


def bulk_seconds(service: StoreService, stores: int) -> float:
    started = time.perf_counter()
    append_history(service, stores * 4)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--bulk-stores", type=int, default=500)
    args = parser.parse_args()
    server = None
    base = os.environ.get("DATABASE_URL")
    if not base:
        server = LocalPostgres(Path(tempfile.mkdtemp(prefix="storeplane-bench-")), durable=True)
        base = server.start()
    try:
        services = {on: open_service(fresh_database(base, trigger=on)) for on in (False, True)}
        creates: dict[bool, list[float]] = {False: [], True: []}
        bulk: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.rounds):
            for on, service in services.items():
                creates[on].append(creates_per_second(service, args.creates, writers=1))
                bulk[on].append(bulk_seconds(service, args.bulk_stores))
        for service in services.values():
            service.close()
        off_c, on_c = statistics.median(creates[False]), statistics.median(creates[True])
        off_b, on_b = statistics.median(bulk[False]), statistics.median(bulk[True])
        events = args.bulk_stores * 4
        print(f"creates/s, 1 writer, without trigger (baseline): {off_c:7.0f}")
        print(f"creates/s, 1 writer, chained at commit:          {on_c:7.0f}  ({on_c / off_c:.2f}x)")
        print(f"bulk append of {events} events, without trigger: {off_b:6.2f}s ({events / off_b:7.0f}/s)")
        print(f"bulk append of {events} events, chained:         {on_b:6.2f}s ({events / on_b:7.0f}/s)"
              f"  ({off_b / on_b:.2f}x)")
        print(f"rounds: {args.rounds}; creates {[round(c) for c in creates[False]]} vs "
              f"{[round(c) for c in creates[True]]}")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
