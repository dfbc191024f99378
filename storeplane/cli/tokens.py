"""`storeplane tokens …`: issue, list and revoke API tokens.

`tokens create` prints the token alone on standard output, so a script can capture it:
`TOKEN=$(storeplane tokens create --tenant acme)`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from datetime import timedelta

import asyncpg

from graphql_api.tokens import TokenStore, ensure_schema, parse_duration
from storeplane.cli.output import print_json, print_table
from storeplane.cli.support import with_runtime
from storeplane.runtime import Runtime

_COLUMNS = ("token_id", "tenant", "admin", "label", "created_at", "expires_at", "revoked_at")


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def create(args: argparse.Namespace, runtime: Runtime) -> int:
    async def work(pool: asyncpg.Pool) -> str:
        await ensure_schema(pool)
        _, token = await TokenStore(pool).create(
            tenant=args.tenant, admin=args.admin, label=args.label, expires_in=args.expires_in
        )
        return token

    print(runtime.with_pool(work))
    return 0


def list_tokens(args: argparse.Namespace, runtime: Runtime) -> int:
    async def work(pool: asyncpg.Pool) -> list[dict[str, object]]:
        await ensure_schema(pool)
        return [asdict(r) for r in await TokenStore(pool).tokens(args.tenant)]

    rows = runtime.with_pool(work)
    if args.json:
        print_json(rows)
    else:
        print_table(rows, _COLUMNS)
    return 0


def revoke(args: argparse.Namespace, runtime: Runtime) -> int:
    async def work(pool: asyncpg.Pool) -> bool:
        await ensure_schema(pool)
        return await TokenStore(pool).revoke(args.token_id)

    if not runtime.with_pool(work):
        print(f"storeplane: no live token with id {args.token_id!r}", file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tokens = subparsers.add_parser("tokens", help="API tokens (bearer tokens for the GraphQL API)")
    commands = tokens.add_subparsers(dest="tokens_command", required=True)

    made = commands.add_parser("create", help="issue a token and print it alone on standard output")
    made.add_argument("--tenant", required=True, help="the tenant the token acts for")
    made.add_argument("--admin", action="store_true", help="an admin token: sees every tenant")
    made.add_argument("--label", default="", help="a note on what the token is for")
    made.add_argument(
        "--expires-in", type=_duration, default=None, metavar="DURATION",
        help="the token stops working after this long (90s, 15m, 12h, 30d, 2w; default: never)",
    )
    made.set_defaults(handler=with_runtime(create))

    listed = commands.add_parser("list", help="the tokens (ids only; secrets are never stored)")
    listed.add_argument("--tenant", default=None)
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(handler=with_runtime(list_tokens))

    revoked = commands.add_parser("revoke", help="revoke a token by its id")
    revoked.add_argument("token_id")
    revoked.set_defaults(handler=with_runtime(revoke))
