"""The reconciler with the platform chart's least privilege provisions and deletes a store, and the
API with its own account reveals the store's credentials and can read nothing else.

Given the chart's RBAC and admission policy on the real API server, and a reconciler that
authenticates as the chart's service account (a token from the TokenRequest API, as in a pod),
when a store is created and then deleted, then it becomes READY (the reconciler bound itself the
store role in the store's namespace first, and the API's account the credentials role), the API's
account reads the `store-credentials` Secret there and no other Secret anywhere, and afterwards
nothing of the store is left.
"""

from __future__ import annotations

import base64
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.actors import Stamp, tenant_actor
from domain.service import StoreService
from graphql_api.credentials import reveal_credentials
from projections.queries import ReadModel
from reconciler.cluster.access import CREDENTIALS_BINDING, StoreAccess
from reconciler.cluster.credentials import KubeCredentialsSource
from reconciler.cluster.kube import KubeAccess
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


def _kubeconfig_of(
    cluster: KubeCluster, account: str, namespace: str, path: Path
) -> Path:
    """A kubeconfig that authenticates as `namespace/account` with a TokenRequest token, as a pod."""
    token = _kubectl(cluster, "create", "token", account, "-n", namespace, "--duration=1h").strip()
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    cluster_entry = admin["clusters"][0]
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "clusters": [cluster_entry],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": account, "context": {"cluster": cluster_entry["name"], "user": account}}],
        "current-context": account,
    }))
    return path


@dataclass(frozen=True)
class LeastPrivilege:
    reconciler_kubeconfig: Path
    store_access: StoreAccess
    api_kubeconfig: Path
    credentials_access: StoreAccess


@pytest.fixture
def least_privilege(
    kube_cluster: KubeCluster, helm_home: Path, tmp_path: Path
) -> Iterator[LeastPrivilege]:
    """Kubeconfigs of the chart's reconciler and API service accounts, and what is to be bound."""
    release = f"lp{uuid.uuid4().hex[:8]}"
    namespace = f"{release}-system"
    _kubectl(kube_cluster, "create", "namespace", namespace)
    rendered = template(
        home=helm_home, release=release, namespace=namespace, sets=["database.existingSecret=db"],
        show_only=["templates/rbac.yaml", "templates/admission-policy.yaml"],
    )
    assert rendered.returncode == 0, rendered.output
    _kubectl(kube_cluster, "apply", "-n", namespace, "-f", "-", stdin=rendered.stdout)
    account, api_account = f"{release}-storeplane-reconciler", f"{release}-storeplane-api"
    try:
        yield LeastPrivilege(
            _kubeconfig_of(kube_cluster, account, namespace, tmp_path / "reconciler.kubeconfig"),
            StoreAccess(f"{release}-storeplane-store", namespace, account),
            _kubeconfig_of(kube_cluster, api_account, namespace, tmp_path / "api.kubeconfig"),
            StoreAccess(
                f"{release}-storeplane-store-credentials", namespace, api_account, CREDENTIALS_BINDING
            ),
        )
    finally:
        subprocess.run(
            [str(kube_cluster.bin_dir / "kubectl"), "delete", "-f", "-", "--wait=false"],
            input=rendered.stdout, env=kube_cluster.env(), capture_output=True, text=True, timeout=60,
            check=False,
        )
        _kubectl(kube_cluster, "delete", "namespace", namespace, "--wait=false")


async def test_a_store_goes_ready_and_away_with_only_the_charts_rights(
    least_privilege: LeastPrivilege, kube_cluster: KubeCluster, database_url: str,
    service: StoreService, read_model: ReadModel, tenant: str, tools: ClusterTools, helm_home: Path,
) -> None:
    kubeconfig, access = least_privilege.reconciler_kubeconfig, least_privilege.store_access
    settings = replace(
        fast_settings(kube_cluster, mini_charts(), helm_home), store_access=access,
        credentials_access=least_privilege.credentials_access,
    )
    name = unique_name("lp")
    store = service.create_store(
        tenant=tenant, name=name, engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp(tenant_actor(tenant, "t1"), f"create-{name}"),
    )
    async with reconciler(database_url, settings, kubeconfig):
        row = await wait_for(read_model, store.id, status_is("ready", "failed"), what="ready", within=180)
        assert row.status == "ready", row.status_reason
        bindings = tools.items("rolebindings", store.namespace)
        assert sorted(b["roleRef"]["name"] for b in bindings) == sorted(
            [access.role, least_privilege.credentials_access.role])
        assert tools.release_status(name, store.namespace) == "deployed"
        await _the_api_reveals_and_reads_nothing_else(
            least_privilege, kube_cluster, service, store.id, store.namespace, tenant)
        deleting = Stamp(tenant_actor(tenant, "t1"), f"delete-{name}")
        service.delete_store(store.id, stamp=deleting, tenant=tenant)
        await wait_for(read_model, store.id, status_is("deleted", "failed"), what="deleted", within=180)
    assert not tools.namespace_exists(store.namespace)


async def _the_api_reveals_and_reads_nothing_else(
    rights: LeastPrivilege, cluster: KubeCluster, service: StoreService, store_id: uuid.UUID,
    namespace: str, tenant: str,
) -> None:
    async def in_place(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    source = KubeCredentialsSource(KubeAccess(rights.api_kubeconfig))
    revealed = await reveal_credentials(
        service=service, source=source, run=in_place, store_id=store_id,
        stamp=Stamp(tenant_actor(tenant, "t1"), "reveal-lp"), tenant=tenant,
    )
    secret = yaml.safe_load(
        _kubectl(cluster, "get", "secret", "store-credentials", "-n", namespace, "-o", "yaml"))
    assert revealed.admin_password == base64.b64decode(secret["data"]["admin-password"]).decode()
    account = rights.credentials_access
    api = f"system:serviceaccount:{account.service_account_namespace}:{account.service_account}"

    def can(*args: str) -> bool:
        done = subprocess.run(
            [str(cluster.bin_dir / "kubectl"), f"--as={api}", "auth", "can-i", *args], env=cluster.env(),
            capture_output=True, text=True, timeout=60, check=False,
        )
        return done.stdout.strip() == "yes"

    assert can("get", "secrets/store-credentials", "-n", namespace)
    for refused in (
        ("list", "secrets", "-n", namespace), ("watch", "secrets", "-n", namespace),
        ("get", "secrets/sh.helm.release.v1.x.v1", "-n", namespace),
        ("update", "secrets/store-credentials", "-n", namespace),
        ("get", "secrets/store-credentials", "-n", "kube-system"), ("get", "pods", "-n", namespace),
    ):
        assert not can(*refused), f"the API's account may {' '.join(refused)}"
