"""Store namespaces enforce Pod Security `restricted`, and their NetworkPolicy is one the API
server accepts. On the local control plane admission is real: a pod that breaks the profile is
refused (before, a store namespace admitted a privileged pod)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from domain.store import StoreStatus
from reconciler.cluster import manifests
from reconciler.snapshot import StoreSnapshot
from tests.fixtures.kube import KubeCluster

pytestmark = pytest.mark.cluster


def _kubectl(cluster: KubeCluster, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(cluster.bin_dir / "kubectl"), *args], env=cluster.env(), input=stdin,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def store_namespace(kube_cluster: KubeCluster) -> Iterator[str]:
    store = StoreSnapshot(
        id=uuid4(), version=1, name="shop", tenant="acme", engine="woocommerce", plan="small",
        namespace=f"store-psa-{uuid4().hex[:8]}", status=StoreStatus.PROVISIONING, attempt=0,
        retry_at=None, completed_steps=frozenset(), correlation_id="c",
    )
    documents = [manifests.namespace(store),
                 manifests.network_policy(store, {"kubernetes.io/metadata.name": "ingress-nginx"})]
    for document in documents:
        applied = _kubectl(kube_cluster, "apply", "-f", "-", stdin=json.dumps(document))
        assert applied.returncode == 0, applied.stderr
    try:
        yield store.namespace
    finally:
        _kubectl(kube_cluster, "delete", "namespace", store.namespace, "--wait=false")


def _pod(namespace: str, security: dict[str, Any], container_security: dict[str, Any]) -> str:
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"p-{uuid4().hex[:6]}", "namespace": namespace},
        "spec": {"securityContext": security, "containers": [{
            "name": "c", "image": "registry.local/busybox:1", "securityContext": container_security,
            "resources": {"limits": {"cpu": "50m", "memory": "32Mi"}},
        }]},
    })


def test_a_privileged_pod_is_refused_in_a_store_namespace(
    kube_cluster: KubeCluster, store_namespace: str
) -> None:
    refused = _kubectl(kube_cluster, "apply", "-f", "-",
                       stdin=_pod(store_namespace, {}, {"privileged": True}))
    assert refused.returncode != 0
    assert "violates PodSecurity" in refused.stderr


def test_a_pod_that_follows_the_restricted_profile_is_admitted(
    kube_cluster: KubeCluster, store_namespace: str
) -> None:
    restricted = _pod(
        store_namespace,
        {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    )
    admitted = _kubectl(kube_cluster, "apply", "--dry-run=server", "-f", "-", stdin=restricted)
    assert admitted.returncode == 0, admitted.stderr
