"""`storeplane projections …`: run the projection runner, or rebuild the read model from event 1
(`--verify`: into a scratch schema, compared row by row with the live one)."""

from __future__ import annotations

import argparse
import time
import uuid
from dataclasses import asdict

import asyncpg

from projections.quarantine import RetryResult, list_quarantined, retry_quarantined
from projections.rebuild_check import Comparison, rebuild_and_compare
from projections.runner import ProjectionRunner
from storeplane import platform
from storeplane.cli.output import print_json, print_table
from storeplane.cli.support import with_runtime
from storeplane.runtime import Runtime

DIFFERENT_EXIT = 3


def rebuild(args: argparse.Namespace, runtime: Runtime) -> int:
    if args.verify:
        return verify_rebuild(runtime)
    started = time.perf_counter()

    async def work(pool: asyncpg.Pool) -> int:
        return await ProjectionRunner(pool).rebuild()

    count = runtime.with_pool(work)
    print(f"rebuilt the read model from {count} events in {time.perf_counter() - started:.2f}s")
    return 0


def verify_rebuild(runtime: Runtime) -> int:
    """Exit 0 if a rebuild equals the live read model, else 3."""

    async def compare(pool: asyncpg.Pool) -> Comparison:
        return await rebuild_and_compare(pool)

    comparison = runtime.with_pool(compare)
    print(f"compared {comparison.rows_compared} rows of the live read model with a rebuild from "
          f"{comparison.position} events")
    if comparison.identical:
        print("identical: the live read model is what the events say")
        return 0
    print(f"DIFFERENT: {comparison.differing} rows differ; the first ones:")
    for difference in comparison.shown:
        print(f"  {difference.describe()}")
    return DIFFERENT_EXIT


def run(_: argparse.Namespace, runtime: Runtime) -> int:
    platform.run(runtime, platform.Components(projections=True))
    return 0


_QUARANTINE_COLUMNS = ("handler", "position", "originator_id", "topic", "attempts", "held_by", "error")


def quarantine_list(args: argparse.Namespace, runtime: Runtime) -> int:
    async def work(pool: asyncpg.Pool) -> list[dict[str, object]]:
        return [asdict(row) for row in await list_quarantined(pool, args.follower)]

    rows = runtime.with_pool(work)
    if args.json:
        print_json(rows)
    elif rows:
        print_table(rows, _QUARANTINE_COLUMNS)
    else:
        print("nothing is quarantined")
    return 0


def quarantine_retry(args: argparse.Namespace, runtime: Runtime) -> int:
    """Exit 0 when every retried event applied, 3 when some are still set aside."""

    async def work(pool: asyncpg.Pool) -> RetryResult:
        return await retry_quarantined(pool, store_id=args.store_id)

    result = runtime.with_pool(work)
    print(f"applied {result.applied} events; {result.still_quarantined} still quarantined")
    return DIFFERENT_EXIT if result.still_quarantined else 0


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
    quarantine = commands.add_parser(
        "quarantine", help="events a follower could not apply and set aside (the rest carried on)"
    ).add_subparsers(dest="quarantine_command", required=True)
    listed = quarantine.add_parser("list", help="every event set aside, with its error")
    listed.add_argument(
        "--handler", dest="follower", default=None, help="only this follower's (e.g. read_model.stores)"
    )
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(handler=with_runtime(quarantine_list))
    retried = quarantine.add_parser(
        "retry", help="apply the read model's quarantined events again, after a fix; exit 3 if some fail"
    )
    retried.add_argument("store_id", nargs="?", type=uuid.UUID, default=None, help="only this store's")
    retried.set_defaults(handler=with_runtime(quarantine_retry))
