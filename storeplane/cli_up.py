"""`storeplane up`: every process of the platform under one supervisor, on the embedded defaults."""

from __future__ import annotations

import argparse
import asyncio
import logging

from projections.runner import ProjectionRunner
from storeplane.cli_support import with_runtime
from storeplane.database import create_pool
from storeplane.runtime import Runtime
from storeplane.supervisor import supervise


async def _run_platform(runtime: Runtime) -> None:
    pool = await create_pool(runtime.database_url, max_size=20)
    try:
        await supervise({"projections": ProjectionRunner(pool).run})
    finally:
        await pool.close()


def up(args: argparse.Namespace, runtime: Runtime) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    print(f"storeplane: database {runtime.database_url}", flush=True)
    asyncio.run(_run_platform(runtime))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("up", help="run the whole platform under one supervisor")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.set_defaults(handler=with_runtime(up))
