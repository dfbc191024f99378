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
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from domain.actors import Stamp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from domain.catalog import Engine
from domain.service import StoreService
from projections.runner import ProjectionRunner
from reconciler.cluster.charts import ChartRef, ChartSource
from reconciler.cluster.helm import Helm
from reconciler.cluster.kube import KubeAccess
from reconciler.context import Cluster
from reconciler.records import StoreRecords
from reconciler.run import run_reconciler
from reconciler.settings import ReconcilerSettings
from reconciler.worker import Worker
from storeplane.database import create_pool, open_service, setup_schema
from storeplane.local_postgres import LocalPostgres
from storeplane.localcluster import runtime

MINI_CHART = Path(__file__).resolve().parent.parent / "tests" / "reconciler" / "charts" / "mini"
POLL_SECONDS = 5.0
ORIGINAL = "original design (5 s poll, one at a time)"
Design = Callable[[asyncio.Event], Awaitable[None]]
Designer = Callable[[runtime.Cluster], Design]


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
            if stop.is_set():
                return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)


async def wait_all(pool: asyncpg.Pool, tenant: str, count: int, goal: str) -> int:
    """Waits until every store is `goal` or failed; returns how many failed."""
    while True:
        record = await pool.fetchrow(
            "SELECT count(*) FILTER (WHERE status = $2) AS done, "
            "count(*) FILTER (WHERE status = 'failed') AS failed "
            "FROM read_model.stores WHERE tenant = $1",
            tenant, goal,
        )
        if record["done"] + (record["failed"] if goal != "failed" else 0) >= count:
            return int(record["failed"]) if goal != "failed" else 0
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


@dataclass(frozen=True)
class Run:
    wall: float
    latencies: list[float]
    failed: int


async def measure(
    design: Design, service: StoreService, pool: asyncpg.Pool, *, stores: int, spacing: float, goal: str
) -> Run:
    tenant = f"b{uuid.uuid4().hex[:8]}"
    stop = asyncio.Event()
    task = asyncio.create_task(design(stop))
    await asyncio.sleep(1)  # let it start listening
    started = time.perf_counter()
    for i in range(stores):
        await asyncio.to_thread(
            service.create_store, tenant=tenant, name=f"s{i}",
            engine=("woocommerce", "medusa")[i % 2], plan="small", idempotency_key=None,
            stamp=Stamp("admin:bench", f"bench-{i}"),
        )
        if spacing:
            await asyncio.sleep(spacing)
    failed = await wait_all(pool, tenant, stores, goal)
    wall = time.perf_counter() - started
    stop.set()
    await task
    return Run(wall, await first_action_latencies(pool, tenant), failed)


@contextlib.asynccontextmanager
async def fresh_cluster(nodes: int) -> AsyncIterator[runtime.Cluster]:
    """A new kwok cluster per run: every design starts on an empty cluster (a cluster's default
    Service range holds about 250 stores)."""
    cluster = runtime.cluster(f"bench-reconciler-{os.getpid()}")
    await asyncio.to_thread(runtime.up, cluster, nodes=nodes)
    try:
        yield cluster
    finally:
        await asyncio.to_thread(runtime.down, cluster)


def storeplane(settings: ReconcilerSettings, *, pool: asyncpg.Pool, service: StoreService) -> Designer:
    def design(cluster: runtime.Cluster) -> Design:
        return lambda stop: run_reconciler(
            stop, pool=pool, service=service, kube_config=KubeAccess(cluster.kubeconfig),
            settings=replace(settings, helm_binary=str(cluster.bin_dir / "helm")),
        )

    return design


def original(settings: ReconcilerSettings, *, pool: asyncpg.Pool, service: StoreService) -> Designer:
    def design(cluster: runtime.Cluster) -> Design:
        async def run(stop: asyncio.Event) -> None:
            helm = Helm(binary=str(cluster.bin_dir / "helm"), kubeconfig=cluster.kubeconfig,
                        home=settings.helm_home)
            access = KubeAccess(cluster.kubeconfig)
            async with access.connect(request_timeout=settings.kube_request_timeout) as kube:
                worker = Worker(StoreRecords(service), Cluster(kube, helm), settings, service.plans)
                await original_design(stop, pool=pool, worker=worker)

        return run

    return design


async def bench(args: argparse.Namespace, url: str, home: Path) -> None:
    pool = await create_pool(url, max_size=48)
    service = open_service(url)
    projection_stop = asyncio.Event()
    projection = asyncio.create_task(ProjectionRunner(pool).run(projection_stop, poll_interval=1.0))
    base = ReconcilerSettings(
        charts=charts(present=True), resync_interval=timedelta(hours=1), helm_home=home,
        helm_timeout=timedelta(minutes=5),
    )
    probe = replace(base, charts=charts(present=False))
    deps = {"pool": pool, "service": service}
    try:
        print(f"reaction, {args.probes} stores created 10/s (createStore → ProvisioningStarted):",
              flush=True)
        for label, designer in (("storeplane, concurrency 8", storeplane(probe, **deps)),
                                (ORIGINAL, original(probe, **deps))):
            async with fresh_cluster(args.nodes) as cluster:
                run = await measure(
                    designer(cluster), service, pool, stores=args.probes, spacing=0.1, goal="failed"
                )
            shown = "  ".join(f"p{p} {percentile(run.latencies, p) * 1000:6.0f} ms" for p in (50, 95, 99))
            print(f"  {label:45s} {shown}  max {run.latencies[-1] * 1000:6.0f} ms", flush=True)
        if not args.stores:
            return
        print(f"throughput, {args.stores} stores created at once → READY:", flush=True)
        runs = [
            (f"storeplane, concurrency {c}", storeplane(replace(base, concurrency=c), **deps))
            for c in args.concurrency
        ]
        runs.append((ORIGINAL, original(base, **deps)))
        for label, designer in runs:
            async with fresh_cluster(args.nodes) as cluster:
                run = await measure(
                    designer(cluster), service, pool, stores=args.stores, spacing=0, goal="ready"
                )
            failed = f"; {run.failed} FAILED" if run.failed else ""
            print(f"  {label:45s} {run.wall:7.1f} s  ({args.stores / run.wall:5.2f} stores/s{failed})",
                  flush=True)
    finally:
        projection_stop.set()
        await projection
        service.close()
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stores", type=int, default=100, help="0 measures the reaction only")
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--nodes", type=int, default=12, help="kwok nodes (each takes 110 pods)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="storeplane-reconciler-bench-"))
    server = LocalPostgres(work / "postgres", durable=True)
    url = server.start()
    try:
        setup_schema(url)
        print(f"a fresh kwok cluster ({args.nodes} nodes) per run; database {url}", flush=True)
        asyncio.run(bench(args, url, work / "helm"))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
