"""`storeplane up`: every part of the platform at once, on the embedded defaults.

Runs the projection runner, the audit chain, the GraphQL API (with its subscription broadcaster and
the dashboard) and the reconciler through `storeplane.platform`. With no KUBECONFIG and no
in-cluster config, the reconciler works on the local control plane, started (and built, on first
use) here. On the first start it hands over an admin token: printed on a terminal, otherwise written to a
0600 file whose path is printed, so the token never lands in a log.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import asyncpg

from graphql_api.server import first_admin_token
from graphql_api.tokens import TokenStore, deliver_first_token
from storeplane import platform
from storeplane.cli.support import add_server_options, server_options, with_runtime
from storeplane.runtime import Runtime


def _announcer(options: platform.ApiOptions, data_dir: Path) -> platform.StartHook:
    url = f"http://{options.host}:{options.port}/graphql"

    async def announce(pool: asyncpg.Pool) -> None:
        print(f"storeplane: GraphQL API at {url}", flush=True)
        admin_token = await first_admin_token(TokenStore(pool))
        if admin_token is None:
            return
        # Only a terminal sees the token itself; a captured log gets the path of a 0600 file.
        print(deliver_first_token(admin_token, data_dir), flush=True)
        print(
            "storeplane: create more with `storeplane tokens create --tenant NAME [--admin]`", flush=True
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
    announce = _announcer(api, runtime.settings.data_dir)
    try:
        platform.run(runtime, platform.Components(
            projections=True, audit_chain=True, api=api, reconciler=reconciler, on_start=announce,
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
