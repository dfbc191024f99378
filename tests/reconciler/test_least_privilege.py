"""The reconciler with the platform chart's least privilege provisions and deletes a store.

Given the chart's RBAC and admission policy on the real API server, and a reconciler that
authenticates as the chart's service account (a token from the TokenRequest API, as in a pod),
when a store is created and then deleted, then it becomes READY (the reconciler bound itself the
store role in the store's namespace first) and afterwards nothing of it is left.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from domain.actors import Stamp, tenant_actor
from domain.service import StoreService
from projections.queries import ReadModel
from reconciler.cluster.access import StoreAccess
from tests.deploy.platform_chart import template
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


def _kubectl(cluster: KubeCluster, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(cluster.bin_dir / "kubectl"), *args], input=stdin, env=cluster.env(), capture_output=True,
        text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
    return done.stdout


@pytest.fixture
def least_privilege(
    kube_cluster: KubeCluster, helm_home: Path, tmp_path: Path
) -> Iterator[tuple[Path, StoreAccess]]:
    """A kubeconfig of the chart's reconciler service account, and the access it is to bind."""
    release = f"lp{uuid.uuid4().hex[:8]}"
    namespace = f"{release}-system"
    _kubectl(kube_cluster, "create", "namespace", namespace)
    rendered = template(
        home=helm_home, release=release, namespace=namespace, sets=["database.existingSecret=db"],
        show_only=["templates/rbac.yaml", "templates/admission-policy.yaml"],
    )
    assert rendered.returncode == 0, rendered.output
    _kubectl(kube_cluster, "apply", "-n", namespace, "-f", "-", stdin=rendered.stdout)
    account = f"{release}-storeplane-reconciler"
    token = _kubectl(kube_cluster, "create", "token", account, "-n", namespace, "--duration=1h").strip()
    admin = yaml.safe_load(kube_cluster.kubeconfig.read_text())
    cluster_entry = admin["clusters"][0]
    kubeconfig = tmp_path / "reconciler.kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "clusters": [cluster_entry],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": account, "context": {"cluster": cluster_entry["name"], "user": account}}],
        "current-context": account,
    }))
    try:
        yield kubeconfig, StoreAccess(f"{release}-storeplane-store", namespace, account)
    finally:
        subprocess.run(
            [str(kube_cluster.bin_dir / "kubectl"), "delete", "-f", "-", "--wait=false"],
            input=rendered.stdout, env=kube_cluster.env(), capture_output=True, text=True, timeout=60,
            check=False,
        )
        _kubectl(kube_cluster, "delete", "namespace", namespace, "--wait=false")


async def test_a_store_goes_ready_and_away_with_only_the_charts_rights(
    least_privilege: tuple[Path, StoreAccess], kube_cluster: KubeCluster, database_url: str,
    service: StoreService, read_model: ReadModel, tenant: str, tools: ClusterTools, helm_home: Path,
) -> None:
    kubeconfig, access = least_privilege
    settings = replace(fast_settings(kube_cluster, mini_charts(), helm_home), store_access=access)
    name = unique_name("lp")
    store = service.create_store(
        tenant=tenant, name=name, engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp(tenant_actor(tenant, "t1"), f"create-{name}"),
    )
    async with reconciler(database_url, settings, kubeconfig):
        row = await wait_for(read_model, store.id, status_is("ready", "failed"), what="ready", within=180)
        assert row.status == "ready", row.status_reason
        bindings = tools.items("rolebindings", store.namespace)
        assert [b["roleRef"]["name"] for b in bindings] == [access.role]
        assert tools.release_status(name, store.namespace) == "deployed"
        deleting = Stamp(tenant_actor(tenant, "t1"), f"delete-{name}")
        service.delete_store(store.id, stamp=deleting, tenant=tenant)
        await wait_for(read_model, store.id, status_is("deleted", "failed"), what="deleted", within=180)
    assert not tools.namespace_exists(store.namespace)
