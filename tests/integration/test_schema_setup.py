"""Schema setup is idempotent and safe when several processes start at the same instant."""

from __future__ import annotations

import threading
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg

from storeplane.database import setup_schema


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
