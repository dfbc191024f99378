"""Provisioning on the real local control plane: a requested store reaches READY with its
namespace, guardrails, credentials and release, and deleting it leaves nothing behind."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from domain.actors import Stamp, tenant_actor
from domain.service import StoreService
from projections.queries import ReadModel
from reconciler.cluster import manifests
from reconciler.cluster.charts import ChartSource
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import (
    BASE_DOMAIN,
    ClusterTools,
    fast_settings,
    mini_charts,
    reconciler,
    status_is,
    unique_name,
    wait_for,
)

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]

PROVISIONING_EVENTS = [
    "Requested", "ProvisioningStarted", "NamespaceReady", "GuardrailsApplied", "CredentialsIssued",
    "ReleaseInstalled", "BecameReady",
]


def create(
    service: StoreService, tenant: str, engine: str = "woocommerce", plan: str = "small"
) -> tuple[str, str]:
    name = unique_name("shop")
    store = service.create_store(
        tenant=tenant, name=name, engine=engine, plan=plan, idempotency_key=None,
        stamp=Stamp(tenant_actor(tenant, "t1"), f"create-{name}"),
    )
    return str(store.id), name


@pytest.mark.parametrize("engine", ["woocommerce", "medusa"])
async def test_each_engine_reaches_ready_with_its_real_chart(
    engine: str, kube_cluster: KubeCluster, database_url: str, service: StoreService,
    read_model: ReadModel, tenant: str, tools: ClusterTools, helm_home: Path,
) -> None:
    charts = ChartSource.from_directory(profiles=("local",))
    settings = fast_settings(kube_cluster, charts, helm_home)
    store_id, name = create(service, tenant, engine)
    async with reconciler(database_url, settings, kube_cluster.kubeconfig):
        row = await wait_for(read_model, store_id, status_is("ready", "failed"), what="ready", within=300)
    assert (row.status, row.status_reason) == ("ready", "")
    assert row.url == f"http://{name}.{tenant}.{BASE_DOMAIN}/"
    events = await read_model.events(store_id=row.id)
    assert [e.type for e in events] == PROVISIONING_EVENTS
    assert {e.correlation_id for e in events} == {f"create-{name}"}, "every outcome names its cause"
    check = json.loads(events[-1].data)["check"]
    assert check.startswith("not called: its pods run on nodes kwok simulates"), check
    history = tools.history(name, row.namespace)
    assert [h["status"] for h in history] == ["deployed"], "installed exactly once"
    _assert_namespace_holds_the_store(tools, row.namespace, row.id, tenant, engine)
    _assert_no_secret_in_events(tools, row.namespace, [e.data for e in events])


def _assert_namespace_holds_the_store(
    tools: ClusterTools, namespace: str, store_id: object, tenant: str, engine: str
) -> None:
    labels = tools.json("kubectl", "get", "namespace", namespace)["metadata"]["labels"]
    assert labels[manifests.STORE_ID_LABEL] == str(store_id)
    assert (labels[manifests.TENANT_LABEL], labels[manifests.ENGINE_LABEL]) == (tenant, engine)
    assert labels[manifests.MANAGED_BY_LABEL] == "storeplane"
    quota = tools.json("kubectl", "get", "resourcequota", manifests.QUOTA, "-n", namespace)
    assert quota["spec"]["hard"]["requests.storage"] == "10Gi"
    assert tools.json("kubectl", "get", "limitrange", manifests.LIMITS, "-n", namespace)
    policy = tools.json("kubectl", "get", "networkpolicy", manifests.NETWORK_POLICY, "-n", namespace)
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]  # isolated both ways
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def _assert_no_secret_in_events(tools: ClusterTools, namespace: str, event_data: list[str]) -> None:
    secret = tools.json("kubectl", "get", "secret", "store-credentials", "-n", namespace)
    assert set(secret["data"]) == set(manifests.CREDENTIAL_KEYS)
    for key in ("admin-password", "database-password", "jwt-secret"):
        value = base64.b64decode(secret["data"][key]).decode()
        assert len(value) >= 16
        assert not any(value in data for data in event_data)


async def test_deleting_a_ready_store_leaves_no_namespace_and_no_release(
    kube_cluster: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    tenant: str, tools: ClusterTools, helm_home: Path,
) -> None:
    settings = fast_settings(kube_cluster, mini_charts(), helm_home)
    store_id, name = create(service, tenant)
    async with reconciler(database_url, settings, kube_cluster.kubeconfig):
        row = await wait_for(read_model, store_id, status_is("ready", "failed"), what="ready")
        assert row.status == "ready", row.status_reason
        service.delete_store(row.id, stamp=Stamp(tenant_actor(tenant, "t1"), f"delete-{name}"))
        await wait_for(read_model, store_id, status_is("deleted"), what="deleted")
    assert not tools.namespace_exists(row.namespace)
    releases = tools.json("helm", "list", "--all-namespaces", "--all")
    assert name not in {r["name"] for r in releases}
    types = [e.type for e in await read_model.events(store_id=row.id)]
    deletion = types[types.index("DeletionRequested"):]
    assert deletion[:2] == ["DeletionRequested", "ReleaseUninstalled"]
    assert deletion[-1] == "Deleted"
    assert set(deletion[2:-1]) == {"ProgressNoted"}, "waiting for the namespace is shown, nothing else"
    # The name is free again.
    again = service.create_store(
        tenant=tenant, name=name, engine="medusa", plan="small", idempotency_key=None,
        stamp=Stamp(tenant_actor(tenant, "t1"), "again"),
    )
    assert again.id != row.id
