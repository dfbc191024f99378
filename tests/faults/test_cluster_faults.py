"""Fault scenario 4: the Kubernetes API going away in the middle of an install and of a deletion
(a proxy in front of the shared cluster, cut and restored), and helm failing — values the chart
refuses, and an install that cannot finish in its timeout. Every store converges (READY, DELETED,
or FAILED with a reason), with no second release, no revision storm and nothing left behind.

(Helm refusing bad values end to end, with a retry after the fix, is also
`tests/reconciler/test_failures_on_cluster.py`.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from domain.actors import Stamp, tenant_actor
from domain.service import StoreService
from domain.store import Store
from projections.queries import ReadModel
from reconciler.decide import messages
from reconciler.settings import ReconcilerSettings, RetryPolicy
from tests.faults import invariants
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
from tests.reconciler.proxy import ApiProxy, kubeconfig_via, upstream_of

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]
PATIENT = RetryPolicy(base=timedelta(milliseconds=500), cap=timedelta(seconds=2), max_attempts=30)


@pytest_asyncio.fixture(loop_scope="session")
async def proxy(kube_cluster: KubeCluster) -> AsyncIterator[ApiProxy]:
    api = ApiProxy(*upstream_of(kube_cluster.kubeconfig))
    await api.open()
    yield api
    await api.cut()


def create(service: StoreService, tenant: str, prefix: str) -> Store:
    return service.create_store(
        tenant=tenant, name=unique_name(prefix), engine="woocommerce", plan="small",
        idempotency_key=None, stamp=Stamp(tenant_actor(tenant, "t1"), f"create-{prefix}"),
    )


def settings_for(cluster: KubeCluster, helm_home: Path, values: Path | None = None,
                 **overrides: object) -> ReconcilerSettings:
    charts = mini_charts(values) if values else mini_charts()
    return fast_settings(cluster, charts, helm_home, retry=PATIENT, helm_timeout=timedelta(seconds=20),
                         **overrides)


async def until_pending_install(tools: ClusterTools, store: Store) -> None:
    for _ in range(240):
        if tools.release_status(store.name, store.namespace) == "pending-install":
            return
        await asyncio.sleep(0.25)
    raise AssertionError("the install never started")


async def test_the_api_gone_mid_install_and_mid_delete(
    proxy: ApiProxy, kube_cluster: KubeCluster, database_url: str, service: StoreService,
    read_model: ReadModel, pool: asyncpg.Pool, tenant: str, tools: ClusterTools, helm_home: Path,
    tmp_path: Path,
) -> None:
    kubeconfig = kubeconfig_via(kube_cluster.kubeconfig, proxy.port, tmp_path / "kubeconfig")
    gate = tmp_path / "values.yaml"
    label = f"storeplane-test/held-{uuid.uuid4().hex[:6]}"
    gate.write_text(f"nodeSelector:\n  {label}: open\n")  # pods wait until the node has it
    node = tools.json("kubectl", "get", "nodes")["items"][0]["metadata"]["name"]
    store = create(service, tenant, "i")
    try:
        async with reconciler(database_url, settings_for(kube_cluster, helm_home, gate), kubeconfig):
            await until_pending_install(tools, store)
            await proxy.cut()  # helm --wait and the client both lose the API mid-install
            await wait_for(read_model, store.id, lambda r: "unreachable" in r.status_reason,
                           what="the outage to be noticed")
            tools.run("kubectl", "label", "node", node, f"{label}=open", "--overwrite")
            await proxy.open()
            row = await wait_for(read_model, store.id, status_is("ready", "failed"), what="ready",
                                 within=300)
            assert row.status == "ready", row.status_reason
            types = [e.type for e in await read_model.events(store_id=store.id)]
            invariants.one_release_one_revision_or_recovered(tools, store, types)

            service.delete_store(store.id, stamp=Stamp(tenant_actor(tenant, "t1"), "delete-i"))
            await wait_for(read_model, store.id, lambda r: r.status == "deleting", what="deleting")
            await proxy.cut()
            await wait_for(read_model, store.id, lambda r: "unreachable" in r.status_reason,
                           what="the outage to be noticed while deleting")
            await proxy.open()
            await wait_for(read_model, store.id, status_is("deleted"), what="deleted", within=300)
    finally:
        tools.run("kubectl", "label", "node", node, f"{label}-", check=False)
    await invariants.applied_once(pool, [store.id])
    invariants.nothing_left(tools, store)


async def test_helm_refusing_values_and_timing_out_end_failed_with_a_reason(
    kube_cluster: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    pool: asyncpg.Pool, tenant: str, tools: ClusterTools, helm_home: Path, tmp_path: Path,
) -> None:
    refused, never = tmp_path / "refused.yaml", tmp_path / "never.yaml"
    refused.write_text("storage: lots\n")
    never.write_text(f"nodeSelector:\n  storeplane-test/never: n{uuid.uuid4().hex[:6]}\n")
    quick = RetryPolicy(base=timedelta(milliseconds=200), cap=timedelta(seconds=1), max_attempts=2)
    outcomes = {}
    for values, prefix in ((refused, "v"), (never, "t")):
        settings = fast_settings(kube_cluster, mini_charts(values), helm_home, retry=quick,
                                 helm_timeout=timedelta(seconds=3))
        store = create(service, tenant, prefix)
        async with reconciler(database_url, settings, kube_cluster.kubeconfig):
            row = await wait_for(read_model, store.id, status_is("failed", "ready"), what="failed")
        types = [e.type for e in await read_model.events(store_id=store.id)]
        installs = types.count("AttemptFailed") + types.count("ProvisioningFailed")
        assert installs <= quick.max_attempts, types  # bounded: no revision storm
        assert tools.release_status(store.name, store.namespace) is None, "the atomic install rolled back"
        await invariants.applied_once(pool, [store.id])
        outcomes[prefix] = row
    assert outcomes["v"].status == "failed"
    assert outcomes["v"].status_reason == f"release: {messages.HELM_VALUES_REJECTED}"
    assert outcomes["t"].status == "failed"
    assert outcomes["t"].status_reason == f"release: {messages.HELM_TIMED_OUT.format(command='upgrade')}"
