"""Helpers for the reconciler's cluster tests: settings for fast tests, running reconciler
instances (in-process, each with its own pools, or as a `storeplane reconciler` subprocess),
waiting on the read model, and reading the cluster with kubectl/helm.

Fed by the session fixtures (database, cluster); feeds the scenario tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.catalog import Engine
from projections.moves import ReadModelMoves
from projections.queries import ReadModel
from projections.store_view import StoreRow
from reconciler.cluster.charts import ChartRef, ChartSource
from reconciler.cluster.kube import KubeAccess
from reconciler.run import run_reconciler
from reconciler.settings import ReconcilerSettings, RetryPolicy
from storeplane.database import create_pool, open_service
from tests.fixtures.kube import KubeCluster

MINI_CHART = Path(__file__).parent / "charts" / "mini"
REPO = Path(__file__).resolve().parents[2]
BASE_DOMAIN = "stores.test"


def mini_charts(*values_files: Path) -> ChartSource:
    return ChartSource({engine.value: ChartRef(MINI_CHART, values_files) for engine in Engine})


def fast_settings(
    cluster: KubeCluster, charts: ChartSource, helm_home: Path, **overrides: Any
) -> ReconcilerSettings:
    settings = ReconcilerSettings(
        charts=charts,
        base_domain=BASE_DOMAIN,
        concurrency=8,
        lease_ttl=timedelta(seconds=6),
        poll_interval=timedelta(seconds=1),
        resync_interval=timedelta(minutes=30),
        helm_timeout=timedelta(seconds=90),
        stuck_release_grace=timedelta(seconds=2),
        shutdown_grace=timedelta(seconds=10),
        retry=RetryPolicy(base=timedelta(seconds=1), cap=timedelta(seconds=4), max_attempts=3),
        helm_binary=str(cluster.bin_dir / "helm"),
        helm_home=helm_home,
    )
    return replace(settings, **overrides)


@contextlib.asynccontextmanager
async def reconciler(
    database_url: str, settings: ReconcilerSettings, kubeconfig: Path, *, holder: str | None = None,
    moves: ReadModelMoves | None = None,
) -> AsyncIterator[asyncio.Task[None]]:
    """An independent reconciler instance in this process: its own pool and service (and woken by
    `moves`, when given, as `storeplane up` wakes it beside its projection runner)."""
    pool = await create_pool(database_url, max_size=4)
    service = open_service(database_url)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_reconciler(
            stop, pool=pool, service=service, settings=settings, kube_config=KubeAccess(kubeconfig),
            holder=holder, moves=moves,
        )
    )
    try:
        yield task
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=60)
        finally:
            await pool.close()
            service.close()


async def wait_for(
    read_model: ReadModel, store_id: UUID, done: Callable[[StoreRow], bool], *, what: str,
    within: float = 180,
) -> StoreRow:
    deadline = time.monotonic() + within
    row: StoreRow | None = None
    while time.monotonic() < deadline:
        row = await read_model.store(store_id)
        if row is not None and done(row):
            return row
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out after {within:.0f}s waiting for {what}; last row: {row}")


def status_is(*statuses: str, after_version: int = 0) -> Callable[[StoreRow], bool]:
    """The store has one of `statuses`, in a version after `after_version` (e.g. a retry's)."""
    return lambda row: row.version > after_version and row.status in statuses


@dataclass(frozen=True)
class ClusterTools:
    """kubectl and helm against the session's cluster, for assertions."""

    cluster: KubeCluster
    helm_home: Path

    def run(self, binary: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = self.cluster.env()
        for kind in ("CONFIG", "CACHE", "DATA"):
            env[f"HELM_{kind}_HOME"] = str(self.helm_home / kind.lower())
        done = subprocess.run(
            [str(self.cluster.bin_dir / binary), *args], env=env, capture_output=True, text=True,
            timeout=120, check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{binary} {' '.join(args)}: {done.stdout}{done.stderr}")
        return done

    def json(self, binary: str, *args: str) -> Any:
        return json.loads(self.run(binary, *args, "-o", "json").stdout)

    def namespace_exists(self, namespace: str) -> bool:
        return self.run("kubectl", "get", "namespace", namespace, check=False).returncode == 0

    def items(self, kind: str, namespace: str) -> list[dict[str, Any]]:
        return list(self.json("kubectl", "get", kind, "-n", namespace)["items"])

    def history(self, release: str, namespace: str) -> list[dict[str, Any]]:
        return list(self.json("helm", "history", release, "-n", namespace))

    def release_status(self, release: str, namespace: str) -> str | None:
        done = self.run("helm", "status", release, "-n", namespace, "-o", "json", check=False)
        return str(json.loads(done.stdout)["info"]["status"]) if done.returncode == 0 else None


def reconciler_process(
    database_url: str, cluster: KubeCluster, charts_dir: Path, helm_home: Path, *,
    kubeconfig: Path | None = None, extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """`storeplane reconciler` as its own process, with fast timings for tests."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KUBECONFIG": str(kubeconfig or cluster.kubeconfig),
        "STOREPLANE_HELM": str(cluster.bin_dir / "helm"),
        "STOREPLANE_BASE_DOMAIN": BASE_DOMAIN,
        "STOREPLANE_LEASE_SECONDS": "6",
        "STOREPLANE_STUCK_RELEASE_SECONDS": "2",
        "STOREPLANE_HELM_TIMEOUT_SECONDS": "90",
        "HELM_CONFIG_HOME": str(helm_home / "config"),
        "HELM_CACHE_HOME": str(helm_home / "cache"),
        "HELM_DATA_HOME": str(helm_home / "data"),
        **(extra_env or {}),
    }
    command: Sequence[str] = [
        sys.executable, "-m", "storeplane.cli", "reconciler", "--charts", str(charts_dir),
        "--no-local-values",
    ]
    return subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"
