"""Schema setup is idempotent and safe when several processes start at the same instant."""

from __future__ import annotations

import asyncio
import threading
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from audit import schema as audit_schema
from graphql_api.tokens import ensure_schema as ensure_token_schema
from graphql_api.tokens import ensure_schema_sync
from reconciler.schema import ensure_schema as ensure_reconciler_schema
from storeplane.database import create_pool, setup_schema
from storeplane.runtime import Runtime
from storeplane.settings import Settings


def empty_database(database_url: str) -> str:
    parts = urlsplit(database_url)
    name = f"storeplane_empty_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    return urlunsplit(parts._replace(path=f"/{name}"))


def test_eight_processes_setting_up_one_empty_database_at_once_all_succeed(database_url: str) -> None:
    url = empty_database(database_url)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            setup_schema(url)
        except BaseException as error:  # collected and asserted below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    setup_schema(url)  # and again, on a database that has everything
    with psycopg.connect(url) as conn:
        tables = {row[0] for row in conn.execute(
            "SELECT schemaname || '.' || tablename FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )}
    assert {"public.storeplane_events", "read_model.stores", "read_model.store_events",
            "read_model.tracking", "reconciler.leases"} <= tables


def test_start_up_on_a_set_up_database_does_not_wait_for_another_process_s_open_transaction(
    private_database_url: str, tmp_path: Path,
) -> None:
    """A process paused (SIGSTOP) inside a transaction keeps its table locks until it wakes. Every
    start of every other process must still get through schema setup: on a database already at
    this schema it takes no lock at all (CREATE INDEX IF NOT EXISTS and CREATE OR REPLACE TRIGGER
    lock their table before they find there is nothing to do; so does eventsourcing when it opens
    the service). Fault scenario 3 saw exactly that: the second reconciler's start-up waited out
    the first one's pause."""
    url = private_database_url
    with psycopg.connect(url) as paused:
        tables = [row[0] for row in paused.execute(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )]
        paused.execute(f"LOCK TABLE {', '.join(tables)} IN ROW EXCLUSIVE MODE".encode())

        def start_up() -> None:
            setup_schema(url)
            runtime = Runtime(Settings(database_url=url, data_dir=tmp_path))
            runtime.service.close()  # what every process opens, on a set-up database
            audit_schema.ensure_schema(url)
            ensure_schema_sync(url)

            async def reconciler_and_tokens() -> None:
                pool = await create_pool(url, max_size=2)
                try:
                    await ensure_reconciler_schema(pool)
                    await ensure_token_schema(pool)
                finally:
                    await pool.close()

            asyncio.run(reconciler_and_tokens())

        with psycopg.connect(url, autocommit=True) as watcher:
            finished = threading.Event()
            thread = threading.Thread(target=lambda: (start_up(), finished.set()), daemon=True)
            thread.start()
            if not finished.wait(timeout=30):
                waiting = watcher.execute(
                    "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                ).fetchall()
                paused.rollback()
                thread.join(timeout=30)
                raise AssertionError(f"start-up waited on the open transaction's locks: {waiting}")
        paused.rollback()
    assert len(tables) >= 8
