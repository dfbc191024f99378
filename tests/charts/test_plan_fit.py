"""Each store chart, at its default values, fits the smallest store plan's quota.

Given the "small" plan from the domain catalog (the reconciler writes it as the namespace's
ResourceQuota), when everything the chart creates runs at once - including the setup,
migrations and seed Job pods, which count against the quota while they run - then the summed
cpu and memory requests and limits, the pods, the PersistentVolumeClaims and their storage
all stay within it. A pod counts as Kubernetes counts it: the larger of its containers' sum
and its largest init container.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import pytest

from domain.catalog import PlanCatalog
from tests.charts.conftest import Render
from tests.charts.quantities import parse_quantity
from tests.charts.rendering import Manifest, Rendering, containers, pod_specs

PLAN = PlanCatalog().get("small")
RENDERINGS = [
    Rendering("woocommerce"),
    Rendering("woocommerce", "values-local.yaml"),
    Rendering("medusa"),
    Rendering("medusa", "values-local.yaml"),
    Rendering("medusa", sets=("seed.enabled=true",)),
]
RESOURCES = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")


@dataclass(frozen=True)
class Usage:
    amounts: dict[str, Fraction]
    pods: int
    claims: int
    storage: Fraction


def _container_amount(container: Manifest, resource: str) -> Fraction:
    section, name = resource.split(".")
    return parse_quantity(container["resources"][section][name])


def _pod_amount(pod: Manifest, resource: str) -> Fraction:
    app = sum((_container_amount(c, resource) for k, c in containers(pod) if k == "containers"), Fraction(0))
    init = max((_container_amount(c, resource) for k, c in containers(pod) if k == "initContainers"),
               default=Fraction(0))
    return max(app, init)


def usage(docs: Sequence[Manifest]) -> Usage:
    amounts = dict.fromkeys(RESOURCES, Fraction(0))
    pods = 0
    for workload, pod in pod_specs(docs):
        replicas = workload["spec"].get("parallelism", 1) if workload["kind"] == "Job" else \
            workload["spec"].get("replicas", 1)
        pods += replicas
        for resource in RESOURCES:
            amounts[resource] += replicas * _pod_amount(pod, resource)
    claims = [d["spec"] for d in docs if d["kind"] == "PersistentVolumeClaim"]
    for workload in docs:
        if workload["kind"] == "StatefulSet":
            templates = workload["spec"].get("volumeClaimTemplates") or []
            claims += [t["spec"] for t in templates] * workload["spec"].get("replicas", 1)
    storage = sum((parse_quantity(c["resources"]["requests"]["storage"]) for c in claims), Fraction(0))
    return Usage(amounts, pods, len(claims), storage)


@pytest.mark.parametrize("rendering", RENDERINGS, ids=Rendering.describe)
def test_chart_fits_the_small_plan(rendering: Rendering, render: Render) -> None:
    used = usage(render(rendering))
    quota = {
        "requests.cpu": parse_quantity(PLAN.cpu_request),
        "requests.memory": parse_quantity(PLAN.memory_request),
        "limits.cpu": parse_quantity(PLAN.cpu_limit),
        "limits.memory": parse_quantity(PLAN.memory_limit),
    }

    over = [f"{r}: {float(used.amounts[r]):g} > {float(quota[r]):g}" for r in RESOURCES
            if used.amounts[r] > quota[r]]
    assert not over, f"{rendering.describe()} exceeds plan {PLAN.name}: {'; '.join(over)}"
    assert used.pods <= PLAN.max_pods
    assert used.claims <= PLAN.max_pvcs
    assert used.storage <= parse_quantity(PLAN.storage)


def test_usage_counts_init_containers_as_kubernetes_does() -> None:
    """Guards the sum above: an init container larger than the app containers sets the pod's size."""
    def container(cpu: str) -> Manifest:
        amounts = {"cpu": cpu, "memory": "64Mi"}
        return {"name": cpu, "resources": {"requests": amounts, "limits": amounts}}

    job = {
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {"template": {"spec": {"initContainers": [container("500m")],
                                        "containers": [container("100m"), container("100m")]}}},
    }
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [container("250m")]}}},
    }

    used = usage([job, deployment])

    assert used.amounts["requests.cpu"] == Fraction(1)
    assert used.pods == 3
