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
        [--concurrency 1 8 32] [--nodes 12] [--skip-original]

The throughput runs also print how many stores were READY as time went on, and where the
machine's CPU went meanwhile (this process: the reconciler, projection and event store; its
exited children: the helm processes; the cluster's components; PostgreSQL), so a slow run says
whether helm's start-up, the API server or our own loop is the limit. 1,000 stores:
`--stores 1000 --probes 0 --concurrency 32 --nodes 25 --skip-original`.
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
from urllib.parse import urlsplit

from domain.actors import Stamp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from bench.cpu_time import cpu_seconds, postgres_pids
from domain.catalog import Engine
from domain.service import StoreService
from projections.moves import ReadModelMoves
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
from storeplane.platform import run_event_loop

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


async def ready_over_time(
    pool: asyncpg.Pool, tenant: str, started: float, samples: list[tuple[float, int]]
) -> None:
    """Appends (seconds since `started`, stores READY) every 5 s until cancelled."""
    while True:
        ready = await pool.fetchval(
            "SELECT count(*) FROM read_model.stores WHERE tenant = $1 AND status = 'ready'", tenant
        )
        samples.append((time.perf_counter() - started, int(ready)))
        await asyncio.sleep(5)


def timeline(samples: list[tuple[float, int]], stores: int) -> str:
    """When 10 %, 25 %, 50 %, 75 %, 90 % and all of the stores were first seen READY."""
    marks = []
    for share in (0.1, 0.25, 0.5, 0.75, 0.9, 1.0):
        seen = next((t for t, ready in samples if ready >= share * stores), None)
        if seen is not None:
            marks.append(f"{round(share * stores)} by {seen:.0f} s")
    return ", ".join(marks)


async def measure(
    design: Design, service: StoreService, pool: asyncpg.Pool, *, stores: int, spacing: float, goal: str,
    samples: list[tuple[float, int]] | None = None,
) -> Run:
    tenant = f"b{uuid.uuid4().hex[:8]}"
    stop = asyncio.Event()
    task = asyncio.create_task(design(stop))
    await asyncio.sleep(1)  # let it start listening
    started = time.perf_counter()
    seen = samples if samples is not None else []
    sampler = asyncio.create_task(ready_over_time(pool, tenant, started, seen))
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
    sampler.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sampler
    seen.append((wall, stores - failed if goal == "ready" else 0))
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


class MachineCpu:
    """CPU seconds spent over a block, by part: this process (reconciler, projection, event store),
    its exited children (helm), each of the cluster's components, PostgreSQL."""

    def __init__(self, cluster: runtime.Cluster, database_url: str) -> None:
        self.cluster, self.database_url = cluster, database_url
        self.spent: dict[str, float] = {}

    def _parts(self) -> dict[str, list[int]]:
        parts: dict[str, list[int]] = {"postgres": postgres_pids(self.database_url)}
        for proc in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError):
                exe = os.readlink(proc / "exe")
                if exe.startswith(str(self.cluster.bin_dir)):
                    parts.setdefault(Path(exe).name, []).append(int(proc.name))
        return parts

    def _now(self, parts: dict[str, list[int]]) -> dict[str, float]:
        mine = os.times()
        now = {"reconciler+projection (this process)": mine.user + mine.system,
               "helm (exited children)": mine.children_user + mine.children_system}
        for name, pids in parts.items():
            now[name] = sum(map(cpu_seconds, pids))
        return now

    def __enter__(self) -> MachineCpu:
        self._parts_at_start = self._parts()
        self._start = self._now(self._parts_at_start)
        return self

    def __exit__(self, *_: object) -> None:
        end = self._now(self._parts_at_start)
        self.spent = {name: end[name] - self._start.get(name, 0.0) for name in end}

    def report(self, wall: float) -> str:
        total = sum(self.spent.values())
        shown = ", ".join(f"{name} {seconds:.0f}" for name, seconds in
                          sorted(self.spent.items(), key=lambda item: -item[1]) if seconds >= 0.5)
        return f"{total:.0f} in {wall:.0f} s of wall ({total / wall:.2f} cores): {shown}"


def storeplane(
    settings: ReconcilerSettings, *, pool: asyncpg.Pool, service: StoreService, moves: ReadModelMoves
) -> Designer:
    """As `storeplane up` runs it: beside the projection runner, which wakes it through `moves`."""
    def design(cluster: runtime.Cluster) -> Design:
        return lambda stop: run_reconciler(
            stop, pool=pool, service=service, kube_config=KubeAccess(cluster.kubeconfig),
            settings=replace(settings, helm_binary=str(cluster.bin_dir / "helm")), moves=moves,
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
    moves = ReadModelMoves()
    runner = ProjectionRunner(pool, moves=moves)
    projection = asyncio.create_task(runner.run(projection_stop, poll_interval=1.0))
    base = ReconcilerSettings(
        charts=charts(present=True), resync_interval=timedelta(hours=1), helm_home=home,
        helm_timeout=timedelta(minutes=5),
    )
    probe = replace(base, charts=charts(present=False), concurrency=args.probe_concurrency)
    deps = {"pool": pool, "service": service}
    try:
        probing = storeplane(probe, **deps, moves=moves)
        reaction = [(f"storeplane, concurrency {args.probe_concurrency}", probing)]
        if not args.skip_original:
            reaction.append((ORIGINAL, original(probe, **deps)))
        if args.probes:
            print(f"reaction, {args.probes} stores created {args.probe_rate:g}/s "
                  "(createStore → ProvisioningStarted):", flush=True)
        for label, designer in reaction if args.probes else []:
            async with fresh_cluster(args.nodes) as cluster:
                run = await measure(
                    designer(cluster), service, pool, stores=args.probes, spacing=1 / args.probe_rate,
                    goal="failed",
                )
            shown = "  ".join(f"p{p} {percentile(run.latencies, p) * 1000:6.0f} ms" for p in (50, 95, 99))
            print(f"  {label:45s} {shown}  max {run.latencies[-1] * 1000:6.0f} ms", flush=True)
        if not args.stores:
            return
        print(f"throughput, {args.stores} stores created at once → READY:", flush=True)
        runs = [
            (f"storeplane, concurrency {c}", storeplane(replace(base, concurrency=c), **deps, moves=moves))
            for c in args.concurrency
        ]
        if not args.skip_original:
            runs.append((ORIGINAL, original(base, **deps)))
        for label, designer in runs:
            async with fresh_cluster(args.nodes) as cluster:
                samples: list[tuple[float, int]] = []
                with MachineCpu(cluster, url) as cpu:
                    run = await measure(
                        designer(cluster), service, pool, stores=args.stores, spacing=0, goal="ready",
                        samples=samples,
                    )
            failed = f"; {run.failed} FAILED" if run.failed else ""
            print(f"  {label:45s} {run.wall:7.1f} s  ({args.stores / run.wall:5.2f} stores/s{failed})",
                  flush=True)
            print(f"    READY over time: {timeline(samples, args.stores)}", flush=True)
            print(f"    CPU seconds: {cpu.report(run.wall)}", flush=True)
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
    parser.add_argument("--probe-rate", type=float, default=10.0, help="reaction stores a second")
    parser.add_argument("--probe-concurrency", type=int, default=8,
                        help="the reconciler's concurrency while reaction is measured: below the "
                             "arrival rate times a store's work it measures the queue for a slot, "
                             "not waking up")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--nodes", type=int, default=12, help="kwok nodes (each takes 110 pods)")
    parser.add_argument("--skip-original", action="store_true",
                        help="leave out the original design's imitation (1,000 stores would take it "
                             "about 50 minutes)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="storeplane-reconciler-bench-"))
    server = LocalPostgres(work / "postgres", durable=True)
    url = server.start()
    try:
        setup_schema(url)
        where = urlsplit(url)  # not the URL itself: it carries the throwaway server's password
        print(f"a fresh kwok cluster ({args.nodes} nodes) per run; database {where.hostname}:"
              f"{where.port}{where.path} under {work}", flush=True)
        run_event_loop(bench(args, url, work / "helm"))  # uvloop, as `storeplane reconciler` runs
    finally:
        server.stop()


if __name__ == "__main__":
    main()
