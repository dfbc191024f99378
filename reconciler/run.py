"""The reconciler's entry point: `run_reconciler(stop, ...)`, one root task of `storeplane.platform`.

Fed by the composition root (`storeplane.platform`, for `up` and `reconciler`; tests) with a database pool,
the application service, the settings and how to reach the cluster; runs until `stop` is set.
"""

from __future__ import annotations

import asyncio

import asyncpg

from domain.service import StoreService
from projections.moves import ReadModelMoves
from reconciler.cluster.helm import Helm
from reconciler.cluster.kube import KubeAccess
from reconciler.context import Cluster
from reconciler.dispatcher import Dispatcher
from reconciler.records import StoreRecords
from reconciler.schema import ensure_schema
from reconciler.settings import ReconcilerSettings
from reconciler.worker import Worker


async def run_reconciler(
    stop: asyncio.Event,
    *,
    pool: asyncpg.Pool,
    service: StoreService,
    settings: ReconcilerSettings,
    kube_config: KubeAccess,
    holder: str | None = None,
    moves: ReadModelMoves | None = None,
) -> None:
    """`moves`: the signal of a projection runner in this process, which wakes the dispatcher sooner."""
    await ensure_schema(pool)
    helm = Helm(binary=settings.helm_binary, kubeconfig=kube_config.kubeconfig, home=settings.helm_home)
    records = StoreRecords(service, threads=settings.concurrency + 2)
    try:
        async with kube_config.connect(request_timeout=settings.kube_request_timeout) as kube:
            worker = Worker(
                records=records, cluster=Cluster(kube=kube, helm=helm), settings=settings,
                plans=service.plans, pool=pool,
            )
            await Dispatcher(
                pool=pool, worker=worker, settings=settings, holder=holder, moves=moves
            ).run(stop)
    finally:
        records.close()
