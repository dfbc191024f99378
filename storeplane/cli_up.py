"""`storeplane up`: every process of the platform under one supervisor, on the embedded defaults.

The projection runner, the audit chain, the GraphQL API (with its subscription broadcaster and the
dashboard) and the reconciler run as named root tasks; `platform_tasks` is the one place that
lists them. With no KUBECONFIG and no in-cluster config, the reconciler works on the local control
plane, started (and built, on first use) here. On the first start it prints an admin token, the
way a notebook server prints its URL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

import asyncpg

from audit.chain import ChainProjection, signed_checkpoint_file
from graphql_api.server import first_admin_token
from graphql_api.tokens import TokenStore, ensure_schema
from projections.runner import ProjectionRunner
from reconciler.cluster.charts import REPO_CHARTS_DIR
from reconciler.run import run_reconciler
from storeplane.cli_api import add_server_options, api_task, run_event_loop
from storeplane.cli_reconciler import ClusterChoice, choose_cluster, reconciler_settings
from storeplane.cli_support import with_runtime
from storeplane.database import create_pool
from storeplane.runtime import Runtime
from storeplane.supervisor import RootTask, supervise


def reconciler_task(runtime: Runtime, pool: asyncpg.Pool, cluster: ClusterChoice) -> RootTask:
    settings = reconciler_settings(runtime, cluster, charts_dir=REPO_CHARTS_DIR, local_values=None)

    async def run(stop: asyncio.Event) -> None:
        await run_reconciler(
            stop, pool=pool, service=runtime.service, settings=settings, kube_config=cluster.access
        )

    return run


async def platform_tasks(
    runtime: Runtime, pool: asyncpg.Pool, args: argparse.Namespace, cluster: ClusterChoice | None
) -> dict[str, RootTask]:
    """The root tasks of `storeplane up`, by name. A new long-lived part adds one line here."""
    signed = await signed_checkpoint_file(pool, runtime.settings.data_dir)
    tasks: dict[str, RootTask] = {
        "projections": ProjectionRunner(pool).run,
        "audit_chain": ChainProjection(pool, signed=signed).run,
        "api": api_task(runtime, pool, args),
    }
    if cluster is not None:
        tasks["reconciler"] = reconciler_task(runtime, pool, cluster)
    return tasks


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


async def _run_platform(
    runtime: Runtime, args: argparse.Namespace, cluster: ClusterChoice | None
) -> None:
    pool = await create_pool(runtime.database_url, max_size=30)
    try:
        await ensure_schema(pool)
        _announce(args, await first_admin_token(TokenStore(pool)))
        await supervise(await platform_tasks(runtime, pool, args, cluster))
    finally:
        await pool.close()


def up(args: argparse.Namespace, runtime: Runtime) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    print(f"storeplane: database {runtime.database_url}", flush=True)
    cluster = None if args.no_reconciler else choose_cluster()
    if cluster is None:
        print("storeplane: --no-reconciler: stores will be recorded but not provisioned", flush=True)
    run_event_loop(_run_platform(runtime, args, cluster))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("up", help="run the whole platform under one supervisor")
    add_server_options(parser)
    parser.add_argument(
        "--no-reconciler", action="store_true",
        help="run without the reconciler (and without starting a local cluster)",
    )
    parser.set_defaults(handler=with_runtime(up))
