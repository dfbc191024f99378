"""The rendered stores follow our workload policy.

Given each chart rendered with its shipped values files, then: every container and init
container has cpu and memory requests and limits; nothing is privileged or escalates; no pod
uses host paths, host networking, host PID or host IPC; every pod runs as non-root with the
RuntimeDefault seccomp profile and a read-only root filesystem; no pod mounts a service
account token unless its account is bound only to Roles naming their objects; images carry the registry
prefix and a pinned tag; no Service is a LoadBalancer; the charts never create the
credentials Secret and only read the keys the reconciler provides.
"""

from __future__ import annotations

import pytest
import yaml

from tests.charts.conftest import Render
from tests.charts.rendering import (
    CHARTS_DIR,
    ENGINES,
    VALUES_FILES,
    Manifest,
    Rendering,
    containers,
    pod_specs,
    where,
)

RENDERINGS = [
    *(Rendering(engine, values_file) for engine in ENGINES for values_file in VALUES_FILES),
    Rendering("medusa", sets=("seed.enabled=true",)),
]
SECRET_KEYS = {
    "woocommerce": {"admin-username", "admin-password", "admin-email", "database-password",
                    "database-root-password"},
    "medusa": {"admin-username", "admin-password", "admin-email", "database-password",
               "jwt-secret", "cookie-secret"},
}
parametrized = pytest.mark.parametrize("rendering", RENDERINGS, ids=Rendering.describe)


def _narrow_accounts(docs: list[Manifest]) -> set[str]:
    """ServiceAccounts bound only to Roles whose every rule names its objects (resourceNames)."""
    roles = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Role"}
    narrow: set[str] = set()
    for binding in (d for d in docs if d["kind"] == "RoleBinding"):
        role = roles.get(binding["roleRef"]["name"])
        named = role is not None and all(rule.get("resourceNames") for rule in role["rules"])
        if binding["roleRef"]["kind"] == "Role" and named:
            narrow |= {s["name"] for s in binding["subjects"] if s["kind"] == "ServiceAccount"}
    cluster_bound = {s["name"] for d in docs if d["kind"] == "ClusterRoleBinding" for s in d["subjects"]}
    return narrow - cluster_bound


def _workload_violations(workload: Manifest, pod: Manifest, narrow_accounts: set[str]) -> list[str]:
    problems = []
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            problems.append(f"{where(workload)} sets {flag}")
    for volume in pod.get("volumes") or []:
        if "hostPath" in volume:
            problems.append(f"{where(workload)} mounts hostPath volume {volume['name']}")
    security = pod.get("securityContext") or {}
    if security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{where(workload)} lacks seccompProfile RuntimeDefault")
    # A token only for an account that may touch named objects alone (the medusa seed Job's,
    # which stores the publishable key in the credentials Secret).
    token = pod.get("automountServiceAccountToken") is not False
    if token and pod.get("serviceAccountName") not in narrow_accounts:
        problems.append(f"{where(workload)} mounts a service account token")
    return problems


def _container_violations(workload: Manifest, pod: Manifest, container: Manifest) -> list[str]:
    here = where(workload, container)
    problems = []
    resources = container.get("resources") or {}
    for section in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(section) or {}):
                problems.append(f"{here} has no {resource} {section[:-1]}")
    security = container.get("securityContext") or {}
    pod_security = pod.get("securityContext") or {}
    if security.get("privileged"):
        problems.append(f"{here} is privileged")
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{here} does not set allowPrivilegeEscalation: false")
    if not security.get("runAsNonRoot", pod_security.get("runAsNonRoot")):
        problems.append(f"{here} may run as root")
    if security.get("runAsUser", pod_security.get("runAsUser")) == 0:
        problems.append(f"{here} runs as uid 0")
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{here} has a writable root filesystem")
    if "ALL" not in (security.get("capabilities") or {}).get("drop", []):
        problems.append(f"{here} does not drop all capabilities")
    if (security.get("capabilities") or {}).get("add"):
        problems.append(f"{here} adds capabilities")
    return problems


@parametrized
def test_pods_follow_the_security_and_resource_policy(rendering: Rendering, render: Render) -> None:
    problems = []
    docs = render(rendering)
    narrow = _narrow_accounts(docs)
    for workload, pod in pod_specs(docs):
        problems += _workload_violations(workload, pod, narrow)
        for _kind, container in containers(pod):
            problems += _container_violations(workload, pod, container)

    assert not problems, "\n".join(problems)


@parametrized
def test_images_are_pinned_behind_one_registry_prefix(rendering: Rendering, render: Render) -> None:
    registry = "registry.example.com/mirror"
    sets = (*rendering.sets, f"image.registry={registry}")
    mirrored = Rendering(rendering.engine, rendering.values_file, sets=sets)
    docs = render(mirrored)
    images = [c["image"] for _, pod in pod_specs(docs) for _, c in containers(pod)]

    assert images
    for image in images:
        assert image.startswith(f"{registry}/"), image
        tag = image.rsplit(":", 1)[-1]
        assert "/" not in tag, f"{image} has no tag"
        assert tag not in {"", "latest"}, f"{image} is not pinned by tag"


@parametrized
def test_no_load_balancers_and_one_ingress_on_the_store_host(rendering: Rendering, render: Render) -> None:
    docs = render(rendering)
    services = [d for d in docs if d["kind"] == "Service"]
    ingresses = [d for d in docs if d["kind"] == "Ingress"]

    assert all(s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in services)
    assert len(ingresses) == 1
    rules = ingresses[0]["spec"]["rules"]
    assert [r["host"] for r in rules] == [rendering.store.host]
    assert ingresses[0]["spec"]["ingressClassName"] == "nginx"


@parametrized
def test_credentials_come_only_from_the_reconciler_secret(rendering: Rendering, render: Render) -> None:
    docs = render(rendering)
    assert not [d for d in docs if d["kind"] == "Secret"], "the chart must not create Secrets"

    used_keys = set()
    for workload, pod in pod_specs(docs):
        for _kind, container in containers(pod):
            for variable in container.get("env") or []:
                ref = (variable.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == rendering.store.credentials_secret, where(workload, container)
                    used_keys.add(ref["key"])
    assert used_keys <= SECRET_KEYS[rendering.engine], used_keys - SECRET_KEYS[rendering.engine]
    assert {"admin-password", "database-password"} <= used_keys


@pytest.mark.parametrize("engine", ENGINES)
def test_chart_has_no_dependencies_to_fetch(engine: str) -> None:
    chart = CHARTS_DIR / engine
    metadata = yaml.safe_load((chart / "Chart.yaml").read_text())

    assert not metadata.get("dependencies")
    assert not (chart / "charts").exists()
    assert not (chart / "requirements.yaml").exists()
