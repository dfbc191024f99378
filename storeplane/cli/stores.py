"""`storeplane stores …`: the operator's commands, on the same application service as the API.

`credentials` reads the store's Secret from the cluster this shell can reach (KUBECONFIG, in-cluster,
or the local control plane) and records the reveal like the API does, with actor `operator:<user>`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, ParamSpec, TypeVar

from domain.actors import Stamp, operator_actor
from domain.store import Store
from graphql_api.credentials import reveal_credentials
from projections.queries import ReadModel, StoreFilter
from projections.store_view import StoreRow
from reconciler.cluster.credentials import KubeCredentialsSource
from storeplane import platform
from storeplane.cli.output import print_json, print_record, print_table
from storeplane.cli.support import with_runtime
from storeplane.runtime import Runtime

P = ParamSpec("P")
T = TypeVar("T")
_LIST_COLUMNS = ("id", "tenant", "name", "engine", "plan", "status", "url", "created_at")


def _actor() -> str:
    return operator_actor(getpass.getuser())


def _correlation_id() -> str:
    return f"cli-{uuid.uuid4().hex}"


def _store_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a store id (a UUID)") from None


def _aggregate_summary(store: Store) -> dict[str, Any]:
    return {
        "id": store.id, "tenant": store.tenant, "name": store.name, "engine": store.engine,
        "plan": store.plan, "status": store.status.value, "status_reason": store.status_reason,
        "url": store.url, "namespace": store.namespace, "version": store.version,
        "created_at": store.created_on, "updated_at": store.modified_on,
    }


def _emit(args: argparse.Namespace, record: dict[str, Any]) -> None:
    if args.json:
        print_json(record)
    else:
        print_record(record)


def create(args: argparse.Namespace, runtime: Runtime) -> int:
    store = runtime.service.create_store(
        tenant=args.tenant, name=args.name, engine=args.engine, plan=args.plan,
        idempotency_key=args.idempotency_key, stamp=Stamp(_actor(), _correlation_id()),
    )
    _emit(args, _aggregate_summary(store))
    return 0


def delete(args: argparse.Namespace, runtime: Runtime) -> int:
    store = runtime.service.delete_store(args.store_id, stamp=Stamp(_actor(), _correlation_id()))
    _emit(args, _aggregate_summary(store))
    return 0


def retry(args: argparse.Namespace, runtime: Runtime) -> int:
    store = runtime.service.retry_store(args.store_id, stamp=Stamp(_actor(), _correlation_id()))
    _emit(args, _aggregate_summary(store))
    return 0


async def _in_place(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Runs a service method right here: a one-shot command has no event loop to keep free."""
    return fn(*args, **kwargs)


def credentials(args: argparse.Namespace, runtime: Runtime) -> int:
    """Shows a store's admin credentials, read from its Secret; recorded as CredentialsRevealed."""
    access = platform.existing_cluster()
    if access is None:
        print("storeplane: no cluster to read the credentials from: set KUBECONFIG, or start the "
              "local one with `storeplane cluster up`", file=sys.stderr)
        return 1
    revealed = asyncio.run(reveal_credentials(
        service=runtime.service, source=KubeCredentialsSource(access), run=_in_place,
        store_id=args.store_id, stamp=Stamp(_actor(), _correlation_id()), tenant=None,
    ))
    _emit(args, {
        "admin_url": revealed.admin_url, "admin_username": revealed.admin_username,
        "admin_password": revealed.admin_password, "publishable_key": revealed.publishable_key,
    })
    return 0


def show(args: argparse.Namespace, runtime: Runtime) -> int:
    _emit(args, _aggregate_summary(runtime.service.get_store(args.store_id)))
    return 0


def list_stores(args: argparse.Namespace, runtime: Runtime) -> int:
    where = StoreFilter(tenant=args.tenant, statuses=tuple(args.status or ()), engine=args.engine)

    async def fetch(pool: Any) -> list[StoreRow]:
        return await ReadModel(pool).stores(where, first=args.limit)

    rows = [asdict(r) for r in runtime.caught_up_pool(fetch)]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, _LIST_COLUMNS)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stores = subparsers.add_parser(
        "stores", help="create, list, show, delete and retry stores, and reveal their credentials"
    )
    commands = stores.add_subparsers(dest="stores_command", required=True)

    def command(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help_text)
        parser.add_argument("--json", action="store_true", help="print JSON for scripts")
        parser.set_defaults(handler=with_runtime(handler))
        return parser

    p = command("create", create, "request a new store")
    p.add_argument("name")
    p.add_argument("--engine", required=True, help="woocommerce or medusa")
    p.add_argument("--plan", default="small", help="small, medium or large (default: small)")
    p.add_argument("--tenant", required=True)
    p.add_argument("--idempotency-key", default=None)

    p = command("list", list_stores, "list stores, newest first")
    p.add_argument("--tenant", default=None)
    p.add_argument("--status", action="append", help="repeat to list several statuses")
    p.add_argument("--engine", default=None)
    p.add_argument("--limit", type=int, default=100)

    for name, handler, help_text in (
        ("show", show, "show one store, replayed from its events"),
        ("delete", delete, "delete a store and everything it has in the cluster"),
        ("retry", retry, "provision a failed store again"),
        ("credentials", credentials, "show a READY store's admin credentials (the reveal is recorded)"),
    ):
        command(name, handler, help_text).add_argument("store_id", type=_store_id)
