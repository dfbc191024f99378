"""`storeplane followers`: the projection runner and the audit chain, for a replicated deployment.

Every replica runs both; an advisory lock per follower keeps exactly one of each active while the
others stand by (`storeplane.leadership`), so the platform chart can run two for availability.
"""

from __future__ import annotations

import argparse

from storeplane import platform
from storeplane.cli.support import with_runtime
from storeplane.runtime import Runtime


def followers(_: argparse.Namespace, runtime: Runtime) -> int:
    platform.run(runtime, platform.Components(projections=True, audit_chain=True))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "followers", help="apply events to the read model and the audit chain (one active replica)"
    )
    parser.set_defaults(handler=with_runtime(followers))
