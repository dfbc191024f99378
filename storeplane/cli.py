"""The `storeplane` command: parses arguments and hands them to one handler per sub-command.

Errors a user can cause (domain errors, bad arguments) end with a one-line reason on standard
error and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

import storeplane
from domain.errors import DomainError


def _command_modules() -> list[str]:
    """Every `storeplane.cli_<name>` module with a `register` function adds its own sub-commands."""
    return sorted(
        f"storeplane.{info.name}"
        for info in pkgutil.iter_modules(storeplane.__path__)
        if info.name.startswith("cli_") and info.name != "cli_support"
    )


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
    for name in _command_modules():
        importlib.import_module(name).register(subparsers)
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


if __name__ == "__main__":
    sys.exit(main())
