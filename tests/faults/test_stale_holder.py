"""Fault scenario 3: a reconciler paused (SIGSTOP) past its lease while another finishes the store
— its provisioning, and then its deletion — then resumed (SIGCONT). The paused holder must learn
that its lease is gone before it acts or records anything: no event of its own after the pause, no
second release, and for the deleted store no namespace brought back.

Each run asserts the suite's invariants: nothing acknowledged lost, no event applied twice, one
release with one revision, the store converged, nothing left of a deleted store."""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from domain.actors import Stamp
from domain.service import StoreService
from projections.queries import ReadModel
from reconciler.schema import LEASES, ensure_schema
from tests.faults.processes import Reconciler
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import (
    ClusterTools,
    fast_settings,
    mini_charts,
    reconciler,
    status_is,
    wait_for,
)
from tests.reconciler.test_processes import charts_dir, create, helm_processes_for

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]


async def holder_of(pool: asyncpg.Pool, store_id: object) -> str | None:
    holder: str | None = await pool.fetchval(f"SELECT holder FROM {LEASES} WHERE store_id = $1", store_id)
    return holder


async def until_held(pool: asyncpg.Pool, store_id: object) -> None:
    for _ in range(600):
        if await holder_of(pool, store_id) is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no reconciler claimed the store")


async def assert_applied_once(pool: asyncpg.Pool, store_id: object) -> None:
    """The read model's version equals the number of events: none skipped, none applied twice."""
    version = await pool.fetchval("SELECT version FROM read_model.stores WHERE id = $1", store_id)
    events = await pool.fetchval(
        "SELECT count(*) FROM public.storeplane_events WHERE originator_id = $1", store_id
    )
    assert version == events


@pytest.mark.parametrize("finish", ["install", "delete"])
async def test_a_holder_paused_past_its_lease_does_nothing_when_it_wakes(
    finish: str, kube_cluster: KubeCluster, database_url: str, service: StoreService,
    read_model: ReadModel, pool: asyncpg.Pool, tenant: str, tools: ClusterTools, helm_home: Path,
    tmp_path: Path,
) -> None:
    await ensure_schema(pool)
    charts = charts_dir(tmp_path / "charts")
    sleeper = Reconciler(database_url, kube_cluster, charts, helm_home)
    finisher: Reconciler | None = None
    try:
        store = create(service, tenant)
        await until_held(pool, store.id)
        sleeper.signal(signal.SIGSTOP)
        events_at_pause = [e.originator_version for e in service.history(store.id)]
        finisher = Reconciler(database_url, kube_cluster, charts, helm_home)
        row = await wait_for(read_model, store.id, status_is("ready", "failed"), what="ready")
        assert row.status == "ready", row.status_reason
        if finish == "delete":
            service.delete_store(store.id, stamp=Stamp("tenant:t", "c-delete"))
            await wait_for(read_model, store.id, status_is("deleted"), what="deleted")
        settled = [e.originator_version for e in service.history(store.id)]
        sleeper.signal(signal.SIGCONT)
        await until_stale_noticed(sleeper, str(store.id))
    finally:
        sleeper_log = sleeper.stop()
        finisher_log = finisher.stop() if finisher else ""
        print("---- paused holder\n", sleeper_log[-4000:], "\n---- finisher\n", finisher_log[-4000:])
    assert [e.originator_version for e in service.history(store.id)] == settled, (
        "the paused holder recorded something after it woke:\n" + sleeper_log[-3000:]
    )
    assert len(events_at_pause) <= len(settled)
    await assert_applied_once(pool, store.id)
    installs = Counter(line for line in (sleeper_log + finisher_log).splitlines()
                       if f"store={store.id}" in line and "action=InstallRelease" in line)
    assert sum(installs.values()) == 1, installs
    if finish == "delete":
        assert not tools.namespace_exists(store.namespace), "the paused holder resurrected the namespace"
    else:
        assert [h["status"] for h in tools.history(store.name, store.namespace)] == ["deployed"]


async def until_stale_noticed(process: Reconciler, store_id: str, within: float = 60) -> None:
    """The resumed holder found out, one way or the other: its renewal was refused (work
    cancelled), a fenced action or append refused it (work stopped), its outcome was refused
    because the store had moved past the version it was decided on (a conflict), or it found the
    store finished and its hand-back was refused (the lease was the new holder's)."""
    marks = ("no longer current", "lease not confirmed", "cancelling its work", "action=conflict")
    for _ in range(int(within / 0.2)):
        if any(store_id in line and any(m in line for m in marks) for line in process.lines):
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the resumed holder never noticed its lease was gone:\n" + process.output[-3000:])


async def test_work_stops_when_its_lease_cannot_be_confirmed_within_half_the_ttl(
    kube_cluster: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    pool: asyncpg.Pool, tenant: str, tools: ClusterTools, helm_home: Path, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Renewal that hangs (here: the lease row locked by another transaction, so the UPDATE waits
    forever) is a renewal that failed: before half the TTL has passed without a confirmation, the
    store's work — a `helm install --wait` — is cancelled and its helm killed."""
    values = tmp_path / "values.yaml"
    values.write_text(f"nodeSelector:\n  storeplane-test/never: n{uuid.uuid4().hex[:6]}\n")
    settings = fast_settings(kube_cluster, mini_charts(values), helm_home,
                             helm_timeout=timedelta(minutes=10))
    store = create(service, tenant)
    caplog.set_level(logging.WARNING, logger="reconciler.dispatcher")
    async with reconciler(database_url, settings, kube_cluster.kubeconfig):
        for _ in range(480):
            if installing(store.namespace):
                break
            await asyncio.sleep(0.25)
        assert installing(store.namespace), "the install never started"
        blocker = await asyncpg.connect(database_url)
        try:
            async with blocker.transaction():
                await blocker.execute(f"SELECT 1 FROM {LEASES} WHERE store_id = $1 FOR UPDATE", store.id)
                for _ in range(240):
                    if not installing(store.namespace):
                        break
                    await asyncio.sleep(0.25)
        finally:
            await blocker.close()
        assert not installing(store.namespace), "the install kept running without a lease"
    assert any(f"store={store.id} lease not confirmed" in r.getMessage() for r in caplog.records)


def installing(namespace: str) -> bool:
    """A `helm upgrade --install` of that namespace is running (not one of the quick reads)."""
    for pid in helm_processes_for(namespace):
        try:
            if b"upgrade" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
                return True
        except OSError:
            continue
    return False
