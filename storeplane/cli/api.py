"""`storeplane api`: the GraphQL API alone (the projection runner runs elsewhere, e.g. `projections run`)."""

from __future__ import annotations

import argparse

from storeplane import platform
from storeplane.cli.support import add_server_options, server_options, with_runtime
from storeplane.runtime import Runtime


def api(args: argparse.Namespace, runtime: Runtime) -> int:
    options = server_options(args)
    if not args.quiet:
        print(f"storeplane: GraphQL API at http://{options.host}:{options.port}/graphql", flush=True)
    platform.run(runtime, platform.Components(api=options))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("api", help="serve the GraphQL API alone")
    add_server_options(parser)
    # Set on the worker processes of `--workers N`: bind beside the others, and say nothing.
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(handler=with_runtime(api))
