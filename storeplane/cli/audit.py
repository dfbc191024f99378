"""`storeplane audit …`: replay a store's history, see it as it was, export events, prove nothing changed.

Reads the event store (never the read model): `history` and `export` stream stored events,
`state` replays them through the application service, `verify` first brings the hash chain up to
date and then walks it. Exit status: 0 when all is well, 1 on a user error, 3 when `verify` finds
a break (so a cron job or CI can tell "tampered" from "could not run").
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg

from audit.chain import ChainProjection, signed_checkpoint_file
from audit.export import ExportWindow, export_events, ndjson_line
from audit.history import store_history
from audit.schema import ensure_schema
from audit.verify import Verdict, verify
from domain.store import Store
from storeplane.cli.output import print_json, print_record, print_table
from storeplane.cli.support import with_runtime
from storeplane.runtime import Runtime

T = TypeVar("T")
BROKEN_EXIT = 3
_HISTORY_COLUMNS = ("sequence", "version", "occurred_at", "type", "actor", "correlation_id")


def _store_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a store id (a UUID)") from None


def _timestamp(value: str) -> datetime:
    """An ISO 8601 instant; without an offset it is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _chained(runtime: Runtime, work: Callable[[asyncpg.Pool], Awaitable[T]], *, catch_up: bool = True) -> T:
    """Runs `work` after chaining any events the chain has not seen, so every record has its hash."""
    ensure_schema(runtime.database_url)  # idempotent; the audit tables may not exist yet

    async def run(pool: asyncpg.Pool) -> T:
        if catch_up:
            signed = await signed_checkpoint_file(pool, runtime.settings.data_dir)
            await ChainProjection(pool, signed=signed).catch_up()
        return await work(pool)

    return runtime.with_pool(run)


def history(args: argparse.Namespace, runtime: Runtime) -> int:
    async def fetch(pool: asyncpg.Pool) -> list[dict[str, Any]]:
        return await store_history(pool, args.store_id, tenant=args.tenant)

    records = _chained(runtime, fetch)
    if args.format == "json":
        print_json(records)
    elif args.format == "ndjson":
        sys.stdout.writelines(ndjson_line(r) for r in records)
    else:
        print_table(records, _HISTORY_COLUMNS)
    return 0


def state_summary(store: Store) -> dict[str, Any]:
    return {
        "id": store.id, "version": store.version, "tenant": store.tenant, "name": store.name,
        "engine": store.engine, "plan": store.plan, "namespace": store.namespace,
        "status": store.status.value, "status_reason": store.status_reason, "url": store.url,
        "attempt": store.attempt, "retry_at": store.retry_at, "completed_steps": store.completed_steps,
        "last_actor": store.last_actor, "last_correlation_id": store.last_correlation_id,
        "created_at": store.created_on, "updated_at": store.modified_on,
    }


def state(args: argparse.Namespace, runtime: Runtime) -> int:
    store = runtime.service.store_at(args.store_id, version=args.version, at=args.at, tenant=args.tenant)
    summary = state_summary(store)
    if args.json:
        print_json(summary)
    else:
        print_record(summary)
    return 0


def export(args: argparse.Namespace, runtime: Runtime) -> int:
    window = ExportWindow(since=args.since, until=args.until, tenant=args.tenant)

    async def stream(pool: asyncpg.Pool) -> int:
        return await export_events(pool, window, sys.stdout.write)

    count = _chained(runtime, stream)
    sys.stdout.flush()
    print(f"exported {count} events", file=sys.stderr)
    return 0


def _report(verdict: Verdict, as_json: bool) -> None:
    broken = verdict.broken
    if as_json:
        print_json({
            "intact": verdict.intact, "events": verdict.events, "chained": verdict.chained,
            "unchained": verdict.unchained, "checkpoints": verdict.checkpoints,
            "break": None if broken is None else {
                "kind": broken.kind.value, "notification_id": broken.notification_id,
                "aggregate_id": broken.originator_id, "version": broken.originator_version,
                "detail": broken.detail,
            },
        })
        return
    # Every event is chained at commit by a trigger; an unchained one was written with triggers
    # off (a restore, a superuser), so nothing protects it until the follower chains it.
    print(f"walked {verdict.events} events, {verdict.chained} chained, {verdict.unchained} unchained "
          f"(unprotected: written with triggers off), {verdict.checkpoints} checkpoints")
    print("intact: the history verifies" if broken is None else f"BROKEN: {broken.describe()}")


def verify_command(args: argparse.Namespace, runtime: Runtime) -> int:
    async def check(pool: asyncpg.Pool) -> Verdict:
        return await verify(pool, signed=await signed_checkpoint_file(pool, runtime.settings.data_dir))

    verdict = _chained(runtime, check, catch_up=not args.no_catch_up)
    _report(verdict, args.json)
    return 0 if verdict.intact else BROKEN_EXIT


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = subparsers.add_parser("audit", help="replay, time travel, export and verify the history")
    commands = audit.add_subparsers(dest="audit_command", required=True)

    p = commands.add_parser("history", help="every event of a store, in order")
    p.add_argument("store_id", type=_store_id)
    p.add_argument("--format", choices=("table", "json", "ndjson"), default="table")
    p.add_argument("--tenant", default=None, help="only if the store belongs to this tenant")
    p.set_defaults(handler=with_runtime(history))

    p = commands.add_parser("state", help="a store as it was, replayed from its events")
    p.add_argument("store_id", type=_store_id)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--version", type=int, help="after this many events")
    when.add_argument("--at", type=_timestamp, help="at this instant (ISO 8601; UTC if no offset)")
    p.add_argument("--tenant", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=with_runtime(state))

    p = commands.add_parser("export", help="events as NDJSON on standard output, streamed")
    p.add_argument("--since", type=_timestamp, default=None, help="occurred at or after (ISO 8601)")
    p.add_argument("--until", type=_timestamp, default=None, help="occurred before (ISO 8601)")
    p.add_argument("--tenant", default=None)
    p.set_defaults(handler=with_runtime(export))

    p = commands.add_parser(
        "verify", help=f"walk the hash chains; exit {BROKEN_EXIT} and name the first broken event"
    )
    p.add_argument("--no-catch-up", action="store_true",
                   help="do not chain new events first (verify only what is already chained)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=with_runtime(verify_command))
