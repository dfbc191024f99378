"""Fault scenario 2: a reconciler SIGKILLed at each action in turn — namespace, guardrails,
credentials, install, uninstall — right after the action changed the cluster and before its outcome
was recorded (the worker logs an action when it has run, then records it). Another process picks
each store up: every store converges without a second release or a repeated step, and the deleted
store leaves nothing behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store
from projections.queries import ReadModel
from reconciler.schema import ensure_schema
from tests.faults import invariants
from tests.faults.processes import Reconciler
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import ClusterTools, status_is, wait_for
from tests.reconciler.test_processes import charts_dir, create

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]

PROVISIONING_ACTIONS = ("EnsureNamespace", "ApplyGuardrails", "IssueCredentials", "InstallRelease")


async def killed_at(process: Reconciler, store: Store, action: str, within: float = 120) -> None:
    mark, at = f"store={store.id} ", f"action={action} "
    for _ in range(int(within / 0.05)):
        if any(mark in line and at in line for line in process.lines):
            process.process.kill()
            process.stop()
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{action} never ran for {store.id}:\n{process.output[-3000:]}")


async def test_a_reconciler_killed_at_each_action_leaves_work_the_next_one_finishes(
    kube_cluster: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    pool: asyncpg.Pool, tenant: str, tools: ClusterTools, helm_home: Path, tmp_path: Path,
) -> None:
    await ensure_schema(pool)
    charts = charts_dir(tmp_path / "charts")
    stores: list[Store] = []
    for action in PROVISIONING_ACTIONS:
        victim = Reconciler(database_url, kube_cluster, charts, helm_home)
        store = create(service, tenant)
        stores.append(store)
        await killed_at(victim, store, action)
    survivor = Reconciler(database_url, kube_cluster, charts, helm_home)
    try:
        for store in stores:
            row = await wait_for(read_model, store.id, status_is("ready", "failed"), what="ready")
            assert row.status == "ready", row.status_reason
    finally:
        survivor.stop()
    invariants.acknowledged_kept(service, stores)
    await invariants.applied_once(pool, [s.id for s in stores])
    for store in stores:
        types = [e.type for e in await read_model.events(store_id=store.id)]
        invariants.one_release_one_revision(tools, store, types)

    doomed = stores[0]
    victim = Reconciler(database_url, kube_cluster, charts, helm_home)
    service.delete_store(doomed.id, stamp=Stamp("tenant:t", "c-delete"))
    await killed_at(victim, doomed, "UninstallRelease")
    survivor = Reconciler(database_url, kube_cluster, charts, helm_home)
    try:
        await wait_for(read_model, doomed.id, status_is("deleted"), what="deleted")
    finally:
        survivor.stop()
    await invariants.applied_once(pool, [s.id for s in stores])
    invariants.nothing_left(tools, doomed)
