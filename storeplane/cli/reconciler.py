"""`storeplane reconciler`: the reconciler alone, until SIGINT/SIGTERM.

Fed by the environment (DATABASE_URL or the embedded server, KUBECONFIG or the in-cluster service
account, else the local control plane of `storeplane cluster`) and its flags; runs it through
`storeplane.platform`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reconciler.cluster.charts import REPO_CHARTS_DIR
from storeplane import platform
from storeplane.cli.support import with_runtime
from storeplane.runtime import Runtime


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    options = platform.ReconcilerOptions(
        cluster=platform.choose_cluster(), charts_dir=args.charts, local_values=args.local_values,
        concurrency=args.concurrency,
    )
    platform.run(runtime, platform.Components(reconciler=options))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "reconciler", help="provision, repair and delete stores in the cluster (runs until stopped)"
    )
    parser.add_argument("--charts", type=Path, default=REPO_CHARTS_DIR, help="directory of <engine>/ charts")
    parser.add_argument(
        "--local-values", action=argparse.BooleanOptionalAction, default=None,
        help="install with each chart's values-local.yaml (default: only on the local control plane)",
    )
    parser.add_argument("--concurrency", type=int, default=0, help="stores worked on at once (default 8)")
    parser.set_defaults(handler=with_runtime(run))
