"""`storeplane projections …`: run the projection runner, or rebuild the read model from event 1."""

from __future__ import annotations

import argparse
import asyncio
import signal
import time

import asyncpg

from projections.runner import ProjectionRunner
from storeplane.cli_audit import verify_rebuild
from storeplane.cli_support import with_runtime
from storeplane.runtime import Runtime


def rebuild(args: argparse.Namespace, runtime: Runtime) -> int:
    if args.verify:
        return verify_rebuild(runtime)
    started = time.perf_counter()

    async def work(pool: asyncpg.Pool) -> int:
        return await ProjectionRunner(pool).rebuild()

    count = runtime.with_pool(work)
    print(f"rebuilt the read model from {count} events in {time.perf_counter() - started:.2f}s")
    return 0


def run(_: argparse.Namespace, runtime: Runtime) -> int:
    async def work(pool: asyncpg.Pool) -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await ProjectionRunner(pool).run(stop)
        return 0

    return runtime.with_pool(work)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    projections = subparsers.add_parser("projections", help="the read model")
    commands = projections.add_subparsers(dest="projections_command", required=True)
    rebuild_parser = commands.add_parser(
        "rebuild", help="rebuild the read model from the first event, in one transaction"
    )
    rebuild_parser.add_argument(
        "--verify", action="store_true",
        help="rebuild into a scratch schema instead and compare it row by row with the live read "
        "model; exit 3 if they differ",
    )
    rebuild_parser.set_defaults(handler=with_runtime(rebuild))
    commands.add_parser("run", help="apply new events as they arrive").set_defaults(
        handler=with_runtime(run)
    )
