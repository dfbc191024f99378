"""A namespace of the store's name that storeplane did not label as the store's is never adopted
and never deleted: provisioning fails with a reason, deletion finishes without touching it."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.actors import Stamp, tenant_actor
from domain.service import StoreService
from projections.queries import ReadModel
from reconciler.decide import messages
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


async def test_a_namespace_not_labelled_as_the_stores_is_neither_adopted_nor_deleted(
    kube_cluster: KubeCluster, database_url: str, service: StoreService, read_model: ReadModel,
    tenant: str, tools: ClusterTools, helm_home: Path,
) -> None:
    actor = tenant_actor(tenant, "t1")
    store = service.create_store(
        tenant=tenant, name=unique_name("f"), engine="woocommerce", plan="small",
        idempotency_key=None, stamp=Stamp(actor, "create-f"),
    )
    tools.run("kubectl", "create", "namespace", store.namespace)
    tools.run("kubectl", "label", "namespace", store.namespace, "owner=someone-else")
    try:
        settings = fast_settings(kube_cluster, mini_charts(), helm_home)
        async with reconciler(database_url, settings, kube_cluster.kubeconfig):
            failed = await wait_for(read_model, store.id, status_is("failed", "ready"), what="failed")
            assert failed.status == "failed"
            assert messages.NAMESPACE_FOREIGN.format(namespace=store.namespace) in failed.status_reason
            service.delete_store(store.id, stamp=Stamp(actor, "delete-f"))
            await wait_for(read_model, store.id, status_is("deleted"), what="deleted")
        labels = tools.json("kubectl", "get", "namespace", store.namespace)["metadata"]["labels"]
        assert labels.get("owner") == "someone-else"
        assert "storeplane.dev/store-id" not in labels, "adopted"
        assert not tools.items("resourcequotas", store.namespace), "guardrails put in a foreign namespace"
    finally:
        tools.run("kubectl", "delete", "namespace", store.namespace, "--wait=false", check=False)
