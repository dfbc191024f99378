"""`storeplane db …`: where the database is, and stopping the embedded one."""

from __future__ import annotations

import argparse

from storeplane.cli.support import with_runtime
from storeplane.local_postgres import LocalPostgres
from storeplane.runtime import Runtime


def url(_: argparse.Namespace, runtime: Runtime) -> int:
    print(runtime.database_url)
    return 0


def setup(_: argparse.Namespace, runtime: Runtime) -> int:
    """Creates or upgrades every table (idempotent; the platform chart runs it as a Helm hook)."""
    print(f"storeplane: schema ready in {runtime.safe_database_url}")
    return 0


def stop(_: argparse.Namespace, runtime: Runtime) -> int:
    if runtime.settings.database_url:
        print("DATABASE_URL points at an external server; storeplane does not stop it")
        return 1
    LocalPostgres(runtime.settings.data_dir).stop()
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = subparsers.add_parser("db", help="the PostgreSQL server")
    commands = db.add_subparsers(dest="db_command", required=True)
    commands.add_parser(
        "url", help="print the connection URL (starts the embedded server if needed)"
    ).set_defaults(handler=with_runtime(url))
    commands.add_parser("setup", help="create or upgrade every table, then exit").set_defaults(
        handler=with_runtime(setup)
    )
    commands.add_parser("stop", help="stop the embedded server").set_defaults(
        handler=with_runtime(stop)
    )
