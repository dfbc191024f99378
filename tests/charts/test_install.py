"""Both store charts install on the local control plane and reach ready, as the reconciler runs them.

Given a fresh namespace with the "small" plan's ResourceQuota and LimitRange and the
credentials Secret (what the reconciler creates first), when the chart is installed with the
reconciler's exact helm command (values-local.yaml, --wait --atomic), then helm succeeds, every
Deployment and StatefulSet is ready, every claim is bound and every setup Job completes. When
the same command runs again, no Job is replaced; when a value of a setup Job's pod changes, the
next upgrade succeeds with a new Job, which completes too, and the old one is gone.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.catalog import PlanCatalog
from reconciler.cluster.manifests import POD_SECURITY_LABELS
from tests.charts.rendering import CHARTS_DIR, StoreValues
from tests.fixtures.kube import KubeCluster

pytestmark = pytest.mark.cluster

PLAN = PlanCatalog().get("small")
SETUP_JOBS = "storeplane.dev/setup-job=true"
SECRET_KEYS = {
    "woocommerce": ("admin-username", "admin-password", "admin-email", "database-password",
                    "database-root-password"),
    "medusa": ("admin-username", "admin-password", "admin-email", "database-password", "jwt-secret",
               "cookie-secret"),
}
# A value each setup Job's pod uses, so changing it gives the Job a new name.
JOB_CHANGE = {"woocommerce": "woocommerce.version=10.3.0", "medusa": "migrations.resources.limits.cpu=500m"}


@dataclass(frozen=True)
class Kube:
    """kubectl and helm against the session's cluster, failing with their output."""

    cluster: KubeCluster
    helm_home: Path

    def _run(self, binary: str, args: Sequence[str], stdin: str | None, timeout: float) -> str:
        env = self.cluster.env()
        for variable in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
            env[variable] = str(self.helm_home / variable.lower())
        command = [str(self.cluster.bin_dir / binary), *args]
        done = subprocess.run(command, env=env, input=stdin, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            raise AssertionError(f"{binary} {' '.join(args)} failed ({done.returncode}):\n"
                                 f"{done.stdout}{done.stderr}")
        return done.stdout

    def kubectl(self, *args: str, stdin: str | None = None, timeout: float = 60) -> str:
        return self._run("kubectl", args, stdin, timeout)

    def helm(self, *args: str, timeout: float = 400) -> str:
        return self._run("helm", args, None, timeout)

    def items(self, kind: str, namespace: str, *selector: str) -> list[dict[str, Any]]:
        listed = json.loads(self.kubectl("get", kind, "-n", namespace, "-o", "json", *selector))
        return list(listed["items"])


def _plan_objects(namespace: str) -> str:
    """The ResourceQuota and LimitRange the reconciler derives from the small plan."""
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "store-plan", "namespace": namespace},
        "spec": {"hard": {
            "requests.cpu": PLAN.cpu_request, "requests.memory": PLAN.memory_request,
            "limits.cpu": PLAN.cpu_limit, "limits.memory": PLAN.memory_limit,
            "pods": str(PLAN.max_pods), "persistentvolumeclaims": str(PLAN.max_pvcs),
            "requests.storage": PLAN.storage,
        }},
    }
    defaults = {"cpu": PLAN.default_container_cpu, "memory": PLAN.default_container_memory}
    limits = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "store-plan", "namespace": namespace},
        "spec": {"limits": [{"type": "Container", "default": defaults, "defaultRequest": defaults}]},
    }
    return yaml.safe_dump_all([quota, limits])


@pytest.fixture(scope="module")
def kube(kube_cluster: KubeCluster, tmp_path_factory: pytest.TempPathFactory) -> Kube:
    return Kube(kube_cluster, tmp_path_factory.mktemp("helm-home"))


@pytest.fixture
def store_namespace(kube: Kube) -> Iterator[str]:
    namespace = f"store-{uuid.uuid4().hex[:12]}"
    kube.kubectl("create", "namespace", namespace)
    # As the reconciler labels a store's namespace: the charts must pass Pod Security `restricted`.
    kube.kubectl("label", "namespace", namespace,
                 *(f"{key}={value}" for key, value in POD_SECURITY_LABELS.items()))
    kube.kubectl("apply", "-f", "-", stdin=_plan_objects(namespace))
    try:
        yield namespace
    finally:
        kube.kubectl("delete", "namespace", namespace, "--wait=false")


def _create_credentials(kube: Kube, namespace: str, engine: str, secret: str) -> None:
    values = {key: uuid.uuid4().hex for key in SECRET_KEYS[engine]}
    values |= {"admin-username": "admin", "admin-email": "admin@example.com"}
    literals = [f"--from-literal={key}={value}" for key, value in values.items()]
    kube.kubectl("create", "secret", "generic", secret, "-n", namespace, *literals)


def _reconciler_install(kube: Kube, engine: str, namespace: str, store: StoreValues, *sets: str) -> str:
    chart = CHARTS_DIR / engine
    extra = [arg for assignment in sets for arg in ("--set", assignment)]
    return kube.helm(
        "upgrade", "--install", store.name, str(chart), "-n", namespace,
        "-f", str(chart / "values-local.yaml"),
        *store.helm_args(), *extra,
        "--wait", "--atomic", "--timeout", "5m",
    )


def _setup_jobs_complete(kube: Kube, namespace: str) -> set[str]:
    kube.kubectl("wait", "-n", namespace, "--for=condition=complete", "job", "-l", SETUP_JOBS,
                 "--timeout=180s", timeout=200)
    return {job["metadata"]["name"] for job in kube.items("jobs", namespace, "-l", SETUP_JOBS)}


def _assert_store_ready(kube: Kube, namespace: str, store: StoreValues) -> None:
    for kind in ("deployments", "statefulsets"):
        workloads = kube.items(kind, namespace)
        assert workloads, f"no {kind} in {namespace}"
        for workload in workloads:
            wanted = workload["spec"].get("replicas", 1)
            ready = workload.get("status", {}).get("readyReplicas", 0)
            assert ready == wanted, f"{kind}/{workload['metadata']['name']}: {ready}/{wanted} ready"
    claims = kube.items("pvc", namespace)
    assert claims
    assert all(claim["status"]["phase"] == "Bound" for claim in claims)
    ingresses = kube.items("ingress", namespace)
    assert [rule["host"] for ing in ingresses for rule in ing["spec"]["rules"]] == [store.host]


@pytest.mark.parametrize(
    ("engine", "sets", "job_count"),
    [
        pytest.param("woocommerce", (), 1, id="woocommerce"),
        pytest.param("medusa", (), 1, id="medusa"),
        pytest.param("medusa", ("seed.enabled=true",), 2, id="medusa with seed"),
    ],
)
def test_store_installs_reaches_ready_and_upgrades(
    engine: str, sets: tuple[str, ...], job_count: int, kube: Kube, store_namespace: str
) -> None:
    store = StoreValues(f"{engine[:4]}-shop", "acme", f"{engine[:4]}-shop.acme.local.stores.dev",
                        f"{engine[:4]}-shop-credentials")
    _create_credentials(kube, store_namespace, engine, store.credentials_secret)

    installed = _reconciler_install(kube, engine, store_namespace, store, *sets)
    assert f"http://{store.host}/" in installed, "NOTES.txt should show the store URL"
    _assert_store_ready(kube, store_namespace, store)
    first_jobs = _setup_jobs_complete(kube, store_namespace)
    assert len(first_jobs) == job_count

    _reconciler_install(kube, engine, store_namespace, store, *sets)
    assert _setup_jobs_complete(kube, store_namespace) == first_jobs

    _reconciler_install(kube, engine, store_namespace, store, *sets, JOB_CHANGE[engine])
    _assert_store_ready(kube, store_namespace, store)
    changed_jobs = _setup_jobs_complete(kube, store_namespace)
    # The changed Job was replaced (the old one deleted); a Job whose pod did not change stays.
    assert len(changed_jobs) == job_count
    assert len(changed_jobs - first_jobs) == 1
