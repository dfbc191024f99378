"""`storeplane up`: every process of the platform under one supervisor, on the embedded defaults.

The projection runner and the GraphQL API (with its subscription broadcaster) run as named root
tasks; `platform_tasks` is the one place that lists them. On the first start it prints an admin
token, the way a notebook server prints its URL.
"""

from __future__ import annotations

import argparse
import logging

import asyncpg

from graphql_api.server import first_admin_token
from graphql_api.tokens import TokenStore, ensure_schema
from projections.runner import ProjectionRunner
from storeplane.cli_api import add_server_options, api_task, run_event_loop
from storeplane.cli_support import with_runtime
from storeplane.database import create_pool
from storeplane.runtime import Runtime
from storeplane.supervisor import RootTask, supervise


def platform_tasks(
    runtime: Runtime, pool: asyncpg.Pool, args: argparse.Namespace
) -> dict[str, RootTask]:
    """The root tasks of `storeplane up`, by name. A new long-lived part adds one line here."""
    return {
        "projections": ProjectionRunner(pool).run,
        "api": api_task(runtime, pool, args),
    }


def _announce(args: argparse.Namespace, admin_token: str | None) -> None:
    url = f"http://{args.host}:{args.port}/graphql"
    print(f"storeplane: GraphQL API at {url}", flush=True)
    if admin_token is None:
        return
    print(
        "storeplane: first start; this admin token is shown once (create more with "
        "`storeplane tokens create --tenant NAME [--admin]`):\n"
        f"\n    {admin_token}\n\n"
        f"    curl -H 'Authorization: Bearer {admin_token}' -H 'Content-Type: application/json' \\\n"
        f"         -d '{{\"query\": \"{{ me {{ tenant admin }} }}\"}}' {url}\n",
        flush=True,
    )


async def _run_platform(runtime: Runtime, args: argparse.Namespace) -> None:
    pool = await create_pool(runtime.database_url, max_size=20)
    try:
        await ensure_schema(pool)
        _announce(args, await first_admin_token(TokenStore(pool)))
        await supervise(platform_tasks(runtime, pool, args))
    finally:
        await pool.close()


def up(args: argparse.Namespace, runtime: Runtime) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    print(f"storeplane: database {runtime.database_url}", flush=True)
    run_event_loop(_run_platform(runtime, args))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("up", help="run the whole platform under one supervisor")
    add_server_options(parser)
    parser.set_defaults(handler=with_runtime(up))
