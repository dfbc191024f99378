"""`storeplane reconciler`: the reconciler alone, until SIGINT/SIGTERM.

Fed by the environment (DATABASE_URL or the embedded server, KUBECONFIG or the in-cluster service
account, else the local control plane of `storeplane cluster`) and its flags; runs
`reconciler.run.run_reconciler`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.cluster.charts import REPO_CHARTS_DIR, ChartSource
from reconciler.cluster.kube import KubeAccess, NoClusterConfigured
from reconciler.run import run_reconciler
from reconciler.settings import ReconcilerSettings
from storeplane.cli_support import with_runtime
from storeplane.database import create_pool
from storeplane.runtime import Runtime


@dataclass(frozen=True)
class ClusterChoice:
    access: KubeAccess
    helm_binary: str | None  # None: `helm` from PATH (or STOREPLANE_HELM)
    local: bool  # the local control plane: install with the charts' values-local.yaml


def choose_cluster() -> ClusterChoice:
    """KUBECONFIG or in-cluster config when set; otherwise the local control plane, started (and
    built, on first use) here."""
    try:
        return ClusterChoice(KubeAccess.from_env(), None, local=False)
    except NoClusterConfigured:
        pass
    from storeplane.localcluster import runtime  # only needed without a configured cluster

    print("storeplane: no KUBECONFIG; starting the local control plane", flush=True)
    cluster = runtime.up(runtime.cluster())
    return ClusterChoice(KubeAccess(cluster.kubeconfig), str(cluster.bin_dir / "helm"), local=True)


def reconciler_settings(
    runtime: Runtime, choice: ClusterChoice, *, charts_dir: Path, local_values: bool | None
) -> ReconcilerSettings:
    local = choice.local if local_values is None else local_values
    charts = ChartSource.from_directory(charts_dir, local=local)
    return ReconcilerSettings.from_env(
        charts=charts, base_domain=runtime.settings.base_domain, helm_binary=choice.helm_binary,
        helm_home=runtime.settings.data_dir / "helm",
    )


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    choice = choose_cluster()
    settings = reconciler_settings(runtime, choice, charts_dir=args.charts, local_values=args.local_values)
    if args.concurrency:
        settings = replace(settings, concurrency=args.concurrency)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        pool = await create_pool(runtime.database_url, max_size=settings.concurrency + 4)
        try:
            await run_reconciler(
                stop, pool=pool, service=runtime.service, settings=settings, kube_config=choice.access
            )
        finally:
            await pool.close()

    asyncio.run(main())
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
