"""Benchmark of the reconciler (issue 5) on the local control plane, in one report:

1. reaction: time from `createStore` to the reconciler's first action (ProvisioningStarted), for
   stores created 10 per second; storeplane (NOTIFY wake-up, leases, concurrency 8) beside an
   imitation of the original design (poll every 5 s, one store at a time). Stores here use an
   engine whose chart is absent, so each ends FAILED right after its first steps and the number
   measures waking up, not helm;
2. throughput: wall time to take N stores (the tests' mini chart, `helm upgrade --install --atomic
   --wait`) to READY with concurrency 1, 8 and 32, beside the original design's imitation.

Both designs run the very same worker (observe → decide → act); only how stores are found and
how many run at once differ. A fresh embedded PostgreSQL and a fresh kwok cluster are created and
removed by the run.

    .venv/bin/python bench/reconciler_throughput.py [--stores 100] [--probes 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from domain.catalog import Engine
from domain.service import StoreService
from projections.runner import ProjectionRunner
from reconciler.charts import ChartRef, ChartSource
from reconciler.context import Cluster
from reconciler.helm import Helm
from reconciler.kube import KubeAccess
from reconciler.records import StoreRecords
from reconciler.run import run_reconciler
from reconciler.settings import ReconcilerSettings
from reconciler.worker import Worker
from storeplane.database import create_pool, open_service, setup_schema
from storeplane.local_postgres import LocalPostgres
from storeplane.localcluster import runtime

MINI_CHART = Path(__file__).resolve().parent.parent / "tests" / "reconciler" / "charts" / "mini"
POLL_SECONDS = 5.0
Design = Callable[[asyncio.Event], Awaitable[None]]


def charts(present: bool) -> ChartSource:
    path = MINI_CHART if present else Path(tempfile.gettempdir()) / "no-chart-here"
    return ChartSource({e.value: ChartRef(path) for e in Engine})


async def original_design(stop: asyncio.Event, *, pool: asyncpg.Pool, worker: Worker) -> None:
    """The seed design's orchestrator: every 5 s, fetch pending stores, handle them one by one."""
    never = asyncio.Event()
    while not stop.is_set():
        pending = await pool.fetch(
            "SELECT id FROM read_model.stores "
            "WHERE status IN ('requested', 'provisioning', 'deleting') "
            "AND (retry_at IS NULL OR retry_at <= now()) ORDER BY created_at"
        )
        for record in pending:
            await worker.reconcile(record["id"], stopping=never)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)


async def wait_all(pool: asyncpg.Pool, tenant: str, count: int, statuses: tuple[str, ...]) -> None:
    while True:
        done = await pool.fetchval(
            "SELECT count(*) FROM read_model.stores WHERE tenant = $1 AND status = ANY($2::text[])",
            tenant, list(statuses),
        )
        if done >= count:
            return
        await asyncio.sleep(0.2)


async def first_action_latencies(pool: asyncpg.Pool, tenant: str) -> list[float]:
    records = await pool.fetch(
        """SELECT extract(epoch FROM s.occurred_at - r.occurred_at) AS seconds
           FROM read_model.store_events r JOIN read_model.store_events s
             ON s.store_id = r.store_id AND s.type = 'ProvisioningStarted'
           WHERE r.tenant = $1 AND r.type = 'Requested'""",
        tenant,
    )
    return sorted(float(r["seconds"]) for r in records)


def percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def measure(
    design: Design, service: StoreService, pool: asyncpg.Pool, *, stores: int, spacing: float,
    until: tuple[str, ...],
) -> tuple[float, list[float]]:
    tenant = f"b{uuid.uuid4().hex[:8]}"
    stop = asyncio.Event()
    task = asyncio.create_task(design(stop))
    await asyncio.sleep(1)  # let it start listening
    started = time.perf_counter()
    for i in range(stores):
        await asyncio.to_thread(
            service.create_store, tenant=tenant, name=f"s{i}",
            engine=("woocommerce", "medusa")[i % 2], plan="small", idempotency_key=None,
            actor="admin:bench", correlation_id=f"bench-{i}",
        )
        if spacing:
            await asyncio.sleep(spacing)
    await wait_all(pool, tenant, stores, until)
    wall = time.perf_counter() - started
    stop.set()
    await task
    return wall, await first_action_latencies(pool, tenant)


async def bench(args: argparse.Namespace, url: str, cluster: runtime.Cluster, home: Path) -> None:
    pool = await create_pool(url, max_size=48)
    service = open_service(url)
    projection_stop = asyncio.Event()
    projection = asyncio.create_task(ProjectionRunner(pool).run(projection_stop, poll_interval=1.0))
    access = KubeAccess(cluster.kubeconfig)
    base = ReconcilerSettings(
        charts=charts(present=True), resync_interval=timedelta(hours=1),
        helm_binary=str(cluster.bin_dir / "helm"), helm_home=home, helm_timeout=timedelta(minutes=5),
    )

    def storeplane(settings: ReconcilerSettings) -> Design:
        return lambda stop: run_reconciler(
            stop, pool=pool, service=service, settings=settings, kube_config=access
        )

    def original(settings: ReconcilerSettings) -> Design:
        async def run(stop: asyncio.Event) -> None:
            helm = Helm(binary=settings.helm_binary, kubeconfig=cluster.kubeconfig, home=home)
            async with access.connect(request_timeout=settings.kube_request_timeout) as kube:
                worker = Worker(StoreRecords(service), Cluster(kube, helm), settings, service.plans)
                await original_design(stop, pool=pool, worker=worker)

        return run

    try:
        probe = replace(base, charts=charts(present=False))
        print(f"reaction, {args.probes} stores created 10/s (createStore → ProvisioningStarted):",
              flush=True)
        for label, design in (("storeplane, concurrency 8", storeplane(probe)),
                              ("original design (5 s poll, one at a time)", original(probe))):
            _, latencies = await measure(
                design, service, pool, stores=args.probes, spacing=0.1, until=("failed",)
            )
            shown = "  ".join(
                f"p{p} {percentile(latencies, p) * 1000:6.0f} ms" for p in (50, 95, 99)
            )
            print(f"  {label:45s} {shown}  max {latencies[-1] * 1000:6.0f} ms", flush=True)
        print(f"throughput, {args.stores} stores created at once → READY:", flush=True)
        runs = [
            (f"storeplane, concurrency {c}", storeplane(replace(base, concurrency=c)))
            for c in args.concurrency
        ]
        runs.append(("original design (5 s poll, one at a time)", original(base)))
        for label, design in runs:
            wall, _ = await measure(design, service, pool, stores=args.stores, spacing=0, until=("ready",))
            print(f"  {label:45s} {wall:7.1f} s  ({args.stores / wall:5.2f} stores/s)", flush=True)
    finally:
        projection_stop.set()
        await projection
        service.close()
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--nodes", type=int, default=12, help="kwok nodes (each takes 110 pods)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="storeplane-reconciler-bench-"))
    server = LocalPostgres(work / "postgres", durable=True)
    url = server.start()
    cluster = runtime.cluster(f"bench-reconciler-{os.getpid()}")
    try:
        setup_schema(url)
        runtime.up(cluster, nodes=args.nodes)
        print(f"cluster {cluster.name} with {args.nodes} kwok nodes; database {url}", flush=True)
        asyncio.run(bench(args, url, cluster, work / "helm"))
    finally:
        runtime.down(cluster)
        server.stop()


if __name__ == "__main__":
    main()
