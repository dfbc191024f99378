"""Shared plumbing of the CLI: every handler is `fn(args) -> exit status`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from domain.errors import InvalidInput
from storeplane.platform import ApiOptions
from storeplane.runtime import Runtime
from storeplane.settings import Settings

Handler = Callable[[argparse.Namespace], int]
RuntimeHandler = Callable[[argparse.Namespace, Runtime], int]


def with_runtime(handler: RuntimeHandler) -> Handler:
    """Adapts a handler that needs the database to the plain `fn(args)` form."""

    def run(args: argparse.Namespace) -> int:
        runtime = Runtime(Settings.from_env(getattr(args, "data_dir", None)))
        try:
            return handler(args, runtime)
        finally:
            runtime.close()

    return run


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--dev", action="store_true",
        help="development mode: GraphiQL at /graphql (also: STOREPLANE_DEV=1)",
    )
    parser.add_argument(
        "--workers", type=int, default=1,
        help="API processes sharing the port (SO_REUSEPORT), each with its own LISTEN (default 1)",
    )


def server_options(args: argparse.Namespace) -> ApiOptions:
    if args.workers < 1:
        raise InvalidInput("workers", f"--workers must be 1 or more, not {args.workers}")
    return ApiOptions(
        host=args.host, port=args.port, dev=args.dev, workers=args.workers,
        reuse_port=getattr(args, "reuse_port", False),
    )
