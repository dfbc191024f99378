"""The platform chart's RBAC and admission policy, enforced by the real local API server.

Given the chart's ServiceAccounts, roles and ValidatingAdmissionPolicy applied to the cluster, when
requests are made as the reconciler's service account (impersonated), then it can create store
namespaces and work inside them, and cannot create cluster roles or bindings, read secrets in
kube-system or default, or touch a namespace storeplane does not own; it binds the credentials role
to the API's account alone, which may then `get` the `store-credentials` Secret and nothing else.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.platform_chart import template
from tests.fixtures.kube import KubeCluster

pytestmark = pytest.mark.cluster


class Kubectl:
    def __init__(self, cluster: KubeCluster, user: str | None = None) -> None:
        self.cluster, self.user = cluster, user

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        impersonate = [f"--as={self.user}"] if self.user else []
        return subprocess.run(
            [str(self.cluster.bin_dir / "kubectl"), *impersonate, *args], input=stdin, env=self.cluster.env(),
            capture_output=True, text=True, timeout=60, check=False,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        result = self.run(*args, stdin=stdin)
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result.stdout

    def can(self, verb: str, resource: str, namespace: str | None = None) -> bool:
        scope = ["-n", namespace] if namespace else []
        return self.run("auth", "can-i", verb, resource, *scope).stdout.strip() == "yes"


def _namespace(name: str, *, owned: bool) -> str:
    labels = {"storeplane.dev/store-id": str(uuid.uuid4()), "app.kubernetes.io/managed-by": "storeplane"}
    return json.dumps({"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": name, "labels": labels if owned else {}}})


def _store_role_binding(namespace: str, role: str, sa_namespace: str, sa: str) -> str:
    return json.dumps({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "storeplane", "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": sa_namespace}],
    })


@pytest.fixture
def platform_rbac(kube_cluster: KubeCluster, helm_home: Path) -> Iterator[tuple[Kubectl, Kubectl, str]]:
    """The chart's RBAC and admission policy in a namespace of their own, under a unique release."""
    admin = Kubectl(kube_cluster)
    release = f"sp{uuid.uuid4().hex[:8]}"
    namespace = f"{release}-system"
    admin.ok("create", "namespace", namespace)
    rendered = template(
        home=helm_home, release=release, namespace=namespace, sets=["database.existingSecret=db"],
        show_only=["templates/rbac.yaml", "templates/admission-policy.yaml"],
    )
    assert rendered.returncode == 0, rendered.output
    admin.ok("apply", "-n", namespace, "-f", "-", stdin=rendered.stdout)
    sa = f"system:serviceaccount:{namespace}:{release}-storeplane-reconciler"
    reconciler = Kubectl(kube_cluster, sa)
    _wait_for_the_policy(reconciler, release)
    try:
        yield admin, reconciler, release
    finally:
        admin.run("delete", "-f", "-", "--wait=false", stdin=rendered.stdout)
        admin.run("delete", "namespace", namespace, "--wait=false")


def _wait_for_the_policy(reconciler: Kubectl, release: str) -> None:
    """Admission policies take effect asynchronously: probe until an unowned create is refused."""
    probe = f"{release}-probe"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        result = reconciler.run("create", "-f", "-", stdin=_namespace(probe, owned=False))
        if result.returncode != 0 and "owns" in result.stderr:
            return
        if result.returncode == 0:
            Kubectl(reconciler.cluster).run("delete", "namespace", probe, "--wait=false")
        time.sleep(0.5)
    raise AssertionError("the ValidatingAdmissionPolicy never took effect")


def test_the_reconciler_may_create_namespaces_but_no_cluster_roles_or_bindings(
    platform_rbac: tuple[Kubectl, Kubectl, str],
) -> None:
    _, reconciler, _ = platform_rbac
    assert reconciler.can("create", "namespaces")
    for resource in ("clusterroles", "clusterrolebindings"):
        assert not reconciler.can("create", resource)
    for namespace in ("kube-system", "default"):
        assert not reconciler.can("get", "secrets", namespace)
        assert not reconciler.can("list", "secrets", namespace)


def test_inside_a_store_namespace_it_binds_the_store_role_and_then_manages_the_store(
    platform_rbac: tuple[Kubectl, Kubectl, str],
) -> None:
    admin, reconciler, release = platform_rbac
    store_ns = f"{release}-store-a"
    reconciler.ok("create", "-f", "-", stdin=_namespace(store_ns, owned=True))
    try:
        assert not reconciler.can("create", "secrets", store_ns)  # nothing until it binds the role
        sa_ns, sa = reconciler.user.split(":")[2:4]  # type: ignore[union-attr]
        binding = _store_role_binding(store_ns, f"{release}-storeplane-store", sa_ns, sa)
        reconciler.ok("create", "-f", "-", stdin=binding)
        for verb, resource in (
            ("create", "secrets"), ("create", "deployments.apps"), ("delete", "jobs.batch"),
            ("create", "networkpolicies.networking.k8s.io"), ("create", "resourcequotas"),
            ("create", "serviceaccounts"), ("create", "roles.rbac.authorization.k8s.io"),
        ):
            assert reconciler.can(verb, resource, store_ns), f"{verb} {resource}"
        assert not reconciler.can("get", "secrets", "kube-system")  # still nothing elsewhere
        reconciler.ok("delete", "namespace", store_ns, "--wait=false")
    finally:
        admin.run("delete", "namespace", store_ns, "--wait=false")


def test_it_cannot_touch_a_namespace_it_does_not_own_nor_bind_roles_there(
    platform_rbac: tuple[Kubectl, Kubectl, str],
) -> None:
    admin, reconciler, release = platform_rbac
    foreign = f"{release}-foreign"
    admin.ok("create", "-f", "-", stdin=_namespace(foreign, owned=False))
    try:
        refused = reconciler.run("delete", "namespace", foreign)
        assert "only manage namespaces it owns" in refused.stderr
        relabel = reconciler.run("label", "namespace", foreign, "storeplane.dev/store-id=stolen")
        assert "only manage namespaces it owns" in relabel.stderr
        sa_ns, sa = reconciler.user.split(":")[2:4]  # type: ignore[union-attr]
        for target in (foreign, "kube-system"):
            binding = _store_role_binding(target, f"{release}-storeplane-store", sa_ns, sa)
            bound = reconciler.run("create", "-f", "-", stdin=binding)
            assert "only manage namespaces it owns" in bound.stderr, bound.stderr
        assert admin.ok("get", "namespace", foreign, "-o", "name").strip() == f"namespace/{foreign}"
    finally:
        admin.run("delete", "namespace", foreign, "--wait=false")


def test_it_binds_the_credentials_role_only_to_the_api_which_may_then_get_that_one_secret(
    platform_rbac: tuple[Kubectl, Kubectl, str],
) -> None:
    admin, reconciler, release = platform_rbac
    store_ns = f"{release}-store-c"
    reconciler.ok("create", "-f", "-", stdin=_namespace(store_ns, owned=True))
    try:
        role = f"{release}-storeplane-store-credentials"
        sa_ns = reconciler.user.split(":")[2]  # type: ignore[union-attr]
        to_itself = _store_role_binding(store_ns, role, sa_ns, f"{release}-storeplane-reconciler")
        refused = reconciler.run("create", "-f", "-", stdin=to_itself)
        assert "only be bound to storeplane's API service account" in refused.stderr, refused.stderr
        reconciler.ok("create", "-f", "-", stdin=_store_role_binding(
            store_ns, role, sa_ns, f"{release}-storeplane-api"))
        api = Kubectl(admin.cluster, f"system:serviceaccount:{sa_ns}:{release}-storeplane-api")
        deadline = time.monotonic() + 15  # RBAC reaches the authorizer a moment after the write
        while not api.can("get", "secrets/store-credentials", store_ns) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert api.can("get", "secrets/store-credentials", store_ns)
        for verb, resource, namespace in (
            ("list", "secrets", store_ns), ("get", "secrets/sh.helm.release.v1.shop.v1", store_ns),
            ("get", "secrets/store-credentials", "kube-system"), ("create", "secrets", store_ns),
        ):
            assert not api.can(verb, resource, namespace), f"the API may {verb} {resource} in {namespace}"
    finally:
        admin.run("delete", "namespace", store_ns, "--wait=false")
