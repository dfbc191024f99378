"""`storeplane api`: the GraphQL API alone (the projection runner runs elsewhere, e.g. `projections run`).

Also builds the API root task that `storeplane up` supervises beside the others.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import asyncpg
import uvloop

from graphql_api.config import ApiConfig
from graphql_api.server import ApiServer, build_services
from storeplane.cli_support import with_runtime
from storeplane.database import create_pool
from storeplane.runtime import Runtime
from storeplane.supervisor import RootTask, supervise


def api_task(runtime: Runtime, pool: asyncpg.Pool, args: argparse.Namespace) -> RootTask:
    """The API as one supervised root task: uvicorn and the subscription broadcaster."""
    config = ApiConfig.from_env(dev=True if args.dev else None)
    services = build_services(
        database_url=runtime.database_url, pool=pool, service=runtime.service, config=config
    )
    return ApiServer(services, host=args.host, port=args.port).run


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Runs the platform on uvloop (installed with uvicorn[standard]): less CPU per request."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--dev", action="store_true",
        help="development mode: GraphiQL at /graphql (also: STOREPLANE_DEV=1)",
    )


def api(args: argparse.Namespace, runtime: Runtime) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def run() -> None:
        pool = await create_pool(runtime.database_url, max_size=20)
        try:
            print(f"storeplane: GraphQL API at http://{args.host}:{args.port}/graphql", flush=True)
            await supervise({"api": api_task(runtime, pool, args)})
        finally:
            await pool.close()

    run_event_loop(run())
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("api", help="serve the GraphQL API alone")
    add_server_options(parser)
    parser.set_defaults(handler=with_runtime(api))
