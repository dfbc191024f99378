"""The `storeplane` command: parses arguments and hands them to one handler per sub-command.

`COMMANDS` lists every command group, one module each; no command imports another, and the
long-running ones (`up`, `api`, `reconciler`, `projections run`) only describe what to run and
hand it to `storeplane.platform`. Errors a user can cause (domain errors, bad arguments) end with a
one-line reason on standard error and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from domain.errors import DomainError
from storeplane.cli import api, audit, cluster, db, followers, projections, reconciler, stores, tokens, up

COMMANDS = (up, api, reconciler, followers, projections, stores, tokens, audit, db, cluster)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storeplane",
        description="Self-service control plane for e-commerce stores on Kubernetes.",
    )
    parser.add_argument(
        "--data-dir", default=None,
        help="where the embedded PostgreSQL keeps its data (default: $STOREPLANE_DATA_DIR or "
        "~/.local/share/storeplane)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except DomainError as error:
        print(f"storeplane: {error.code.lower()}: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return status
