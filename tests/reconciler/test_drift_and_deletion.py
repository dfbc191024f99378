"""Drift and deletion while busy, on the real control plane: a ready store whose release,
guardrails or namespace are removed out of band is noticed by the resync, recorded as drift and
repaired; deleting a store in the middle of its `helm install` interrupts it and removes everything."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from domain.actors import Stamp, tenant_actor
from domain.service import StoreService
from projections.queries import ReadModel
from reconciler.cluster import manifests
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import (
    ClusterTools,
    fast_settings,
    mini_charts,
    reconciler,
    status_is,
    unique_name,
    wait_for,
)

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]

Tamper = Callable[[ClusterTools, str, str], None]


def uninstall_release(tools: ClusterTools, name: str, namespace: str) -> None:
    tools.run("helm", "uninstall", name, "-n", namespace, "--wait")


def delete_quota(tools: ClusterTools, _: str, namespace: str) -> None:
    tools.run("kubectl", "delete", "resourcequota", manifests.QUOTA, "-n", namespace)


def delete_namespace(tools: ClusterTools, _: str, namespace: str) -> None:
    tools.run("kubectl", "delete", "namespace", namespace, "--wait=false")


@pytest.mark.parametrize(
    ("tamper", "drift", "revisions"),
    [
        pytest.param(uninstall_release, "was uninstalled", 1, id="release uninstalled"),
        pytest.param(delete_quota, "ResourceQuota storeplane-quota is missing", 1, id="quota deleted"),
        pytest.param(delete_namespace, "was deleted", 1, id="namespace deleted"),
    ],
)
async def test_drift_is_recorded_and_repaired(
    tamper: Tamper, drift: str, revisions: int, kube_cluster: KubeCluster, database_url: str,
    service: StoreService, read_model: ReadModel, tenant: str, tools: ClusterTools, helm_home: Path,
) -> None:
    settings = fast_settings(kube_cluster, mini_charts(), helm_home, resync_interval=timedelta(seconds=1))
    store = service.create_store(
        tenant=tenant, name=unique_name("d"), engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp(tenant_actor(tenant, "t1"), "create-d"),
    )
    async with reconciler(database_url, settings, kube_cluster.kubeconfig):
        ready = await wait_for(read_model, store.id, status_is("ready"), what="ready")
        tamper(tools, store.name, store.namespace)
        repaired = await wait_for(
            read_model, store.id, status_is("ready", "failed", after_version=ready.version + 1),
            what="ready again",
        )
    assert repaired.status == "ready", repaired.status_reason
    events = await read_model.events(store_id=store.id)
    drifts = [e for e in events if e.type == "DriftDetected"]
    assert len(drifts) == 1
    assert drift in drifts[0].data
    assert tools.json("kubectl", "get", "resourcequota", manifests.QUOTA, "-n", store.namespace)
    assert len(tools.history(store.name, store.namespace)) == revisions


async def test_deleting_a_store_mid_install_interrupts_it_and_leaves_nothing(
    kube_cluster: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    tenant: str, tools: ClusterTools, helm_home: Path, tmp_path: Path,
) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(f"nodeSelector:\n  storeplane-test/never: n{uuid.uuid4().hex[:6]}\n")
    # Left alone, this install would wait an hour for pods that never schedule.
    settings = fast_settings(kube_cluster, mini_charts(values), helm_home, helm_timeout=timedelta(hours=1))
    actor = tenant_actor(tenant, "t1")
    store = service.create_store(
        tenant=tenant, name=unique_name("x"), engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp(actor, "create-x"),
    )
    async with reconciler(database_url, settings, kube_cluster.kubeconfig):
        for _ in range(240):
            if tools.release_status(store.name, store.namespace) == "pending-install":
                break
            await asyncio.sleep(0.5)
        service.delete_store(store.id, stamp=Stamp(actor, "delete-x"))
        deleted = await wait_for(read_model, store.id, status_is("deleted"), what="deleted")
    assert deleted.status == "deleted"
    assert not tools.namespace_exists(store.namespace)
    deletion = [e for e in await read_model.events(store_id=store.id) if e.correlation_id == "delete-x"]
    assert deletion[0].type == "DeletionRequested"
    assert deletion[-1].type == "Deleted"
