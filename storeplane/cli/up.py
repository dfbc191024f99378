"""`storeplane up`: every part of the platform at once, on the embedded defaults.

Runs the projection runner, the audit chain, the GraphQL API (with its subscription broadcaster and
the dashboard) and the reconciler through `storeplane.platform`. With no KUBECONFIG and no
in-cluster config, the reconciler works on the local control plane, started (and built, on first
use) here. On the first start it prints an admin token, the way a notebook server prints its URL.
"""

from __future__ import annotations

import argparse

import asyncpg

from graphql_api.server import first_admin_token
from graphql_api.tokens import TokenStore
from storeplane import platform
from storeplane.cli.support import add_server_options, server_options, with_runtime
from storeplane.runtime import Runtime


def _announcer(options: platform.ApiOptions) -> platform.StartHook:
    url = f"http://{options.host}:{options.port}/graphql"

    async def announce(pool: asyncpg.Pool) -> None:
        print(f"storeplane: GraphQL API at {url}", flush=True)
        admin_token = await first_admin_token(TokenStore(pool))
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

    return announce


def up(args: argparse.Namespace, runtime: Runtime) -> int:
    print(f"storeplane: database {runtime.safe_database_url}", flush=True)
    reconciler = None
    if args.no_reconciler:
        print("storeplane: --no-reconciler: stores will be recorded but not provisioned", flush=True)
    else:
        reconciler = platform.ReconcilerOptions(cluster=platform.choose_cluster())
    api = server_options(args)
    try:
        platform.run(runtime, platform.Components(
            projections=True, audit_chain=True, api=api, reconciler=reconciler, on_start=_announcer(api),
        ))
    finally:
        _say_what_keeps_running(runtime, reconciler)
    return 0


def _say_what_keeps_running(runtime: Runtime, reconciler: platform.ReconcilerOptions | None) -> None:
    """The database and the local cluster outlive `up`, so the next start is fast; say how to stop them."""
    left = []
    if not runtime.settings.database_url:
        left.append("the embedded PostgreSQL (`storeplane db stop`)")
    if reconciler is not None and reconciler.cluster.local:
        left.append("the local cluster (`storeplane cluster down`)")
    if left:
        print(f"storeplane: stopped; still running for the next start: {' and '.join(left)}", flush=True)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("up", help="run the whole platform under one supervisor")
    add_server_options(parser)
    parser.add_argument(
        "--no-reconciler", action="store_true",
        help="run without the reconciler (and without starting a local cluster)",
    )
    parser.set_defaults(handler=with_runtime(up))
