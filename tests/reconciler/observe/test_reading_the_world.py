"""The pure readers of cluster state as tables: workloads, a terminating namespace's remains,
Helm's view of a release, the revision a stuck release rolls back to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.catalog import PlanCatalog
from domain.store import StoreStatus
from reconciler.act.recover_release import last_good_revision
from reconciler.cluster.manifests import contains
from reconciler.context import StoreContext
from reconciler.observe.extra_policies import extra_policies
from reconciler.observe.observation import NamespaceStatus, PartStatus, ReleaseStatus
from reconciler.observe.release_state import release_state
from reconciler.observe.termination import remaining_resources
from reconciler.observe.workload_state import workloads_state
from reconciler.observe.world import namespace_state
from reconciler.settings import ReconcilerSettings
from reconciler.snapshot import StoreSnapshot
from tests.reconciler.harness import mini_charts


def deployment(ready: int, wanted: int = 1, generation: int = 1, observed: int = 1) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "generation": generation},
        "spec": {"replicas": wanted},
        "status": {"readyReplicas": ready, "updatedReplicas": ready, "observedGeneration": observed},
    }


def job(condition: str | None, message: str = "") -> dict[str, Any]:
    conditions = [{"type": condition, "status": "True", "message": message}] if condition else []
    return {"metadata": {"name": "setup"}, "status": {"conditions": conditions}}


@dataclass(frozen=True)
class WorkloadCase:
    name: str
    deployments: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    status: PartStatus
    reason: str = ""


WORKLOAD_CASES = [
    WorkloadCase("nothing to wait for", [], [], PartStatus.IN_SYNC),
    WorkloadCase("ready deployment and complete job", [deployment(1)], [job("Complete")], PartStatus.IN_SYNC),
    WorkloadCase("deployment not ready", [deployment(0)], [], PartStatus.PENDING,
                 "waiting for deployment web (0/1 ready)"),
    WorkloadCase("new generation not observed yet", [deployment(1, generation=2)], [], PartStatus.PENDING,
                 "deployment web"),
    WorkloadCase("job running", [deployment(1)], [job(None)], PartStatus.PENDING, "job setup to complete"),
    WorkloadCase("job failed", [deployment(1)], [job("Failed", "BackoffLimitExceeded")], PartStatus.BROKEN,
                 "job setup failed: BackoffLimitExceeded"),
]


@pytest.mark.parametrize("case", WORKLOAD_CASES, ids=[c.name for c in WORKLOAD_CASES])
def test_workloads_state(case: WorkloadCase) -> None:
    part = workloads_state(case.deployments, [], case.jobs)
    assert part.status is case.status
    assert case.reason in part.reason


def test_a_statefulset_short_of_replicas_is_waited_for() -> None:
    statefulset = {"metadata": {"name": "db"}, "spec": {"replicas": 1}, "status": {}}
    assert workloads_state([], [statefulset], []).reason == "waiting for statefulset db (0/1 ready)"


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        pytest.param([], "waiting for its contents to be removed", id="no conditions yet"),
        pytest.param(
            [{"type": "NamespaceContentRemaining", "status": "True",
              "message": "Some resources are remaining: persistentvolumeclaims. has 1 resource instances, "
                         "pods. has 2 resource instances"}],
            "3 resources left (persistentvolumeclaims, pods)", id="pods and claims remain",
        ),
        pytest.param(
            [{"type": "NamespaceContentRemaining", "status": "True",
              "message": "Some resources are remaining: deployments.apps has 1 resource instances"}],
            "1 resource left (deployments.apps)", id="one grouped resource",
        ),
        pytest.param(
            [{"type": "NamespaceFinalizersRemaining", "status": "True",
              "message": "Some content in the namespace has finalizers remaining: "
                         "kubernetes.io/pvc-protection in 1 resource instances"}],
            "waiting for finalizers kubernetes.io/pvc-protection in 1 resource instances", id="finalizers",
        ),
    ],
)
def test_remaining_resources(conditions: list[dict[str, str]], expected: str) -> None:
    assert remaining_resources({"status": {"phase": "Terminating", "conditions": conditions}}) == expected


NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
CTX = StoreContext(
    StoreSnapshot(
        id=uuid4(), version=5, name="shop", tenant="acme", engine="woocommerce", plan="small",
        namespace="store-1", status=StoreStatus.PROVISIONING, attempt=0, retry_at=None,
        completed_steps=frozenset(), correlation_id="c",
    ),
    cluster=None,  # type: ignore[arg-type]  # pure reading needs no cluster
    settings=ReconcilerSettings(charts=mini_charts(), base_domain="example.test"),
    plans=PlanCatalog(),
)
OURS = {"store": {"name": "shop", "tenant": "acme", "host": "shop.acme.example.test",
                  "credentialsSecret": "store-credentials"}}


def helm(status: str, *, config: dict[str, Any] | None = None, chart: str = "mini-0.1.0",
         seconds_ago: int = 5) -> dict[str, Any]:
    deployed = (NOW - timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")
    return {"info": {"status": status, "last_deployed": deployed}, "version": 2,
            "config": OURS if config is None else config, "chart_id": chart}


@pytest.mark.parametrize(
    ("status", "expected", "reason"),
    [
        pytest.param(None, ReleaseStatus.ABSENT, "", id="no release"),
        pytest.param(helm("deployed"), ReleaseStatus.IN_SYNC, "", id="deployed with our chart and values"),
        pytest.param(helm("deployed", config={"store": {"name": "other"}}), ReleaseStatus.OUT_OF_SYNC,
                     "differs from the desired values", id="values changed by hand"),
        pytest.param(helm("deployed", chart="mini-0.0.9"), ReleaseStatus.OUT_OF_SYNC,
                     "chart mini-0.1.0 (deployed: mini-0.0.9)", id="older chart"),
        pytest.param(helm("pending-upgrade"), ReleaseStatus.LOCKED, "is pending-upgrade", id="locked"),
        pytest.param(helm("failed"), ReleaseStatus.FAILED, "is failed", id="failed"),
        pytest.param(helm("uninstalling"), ReleaseStatus.UNINSTALLING, "", id="uninstalling"),
    ],
)
def test_release_state(status: dict[str, Any] | None, expected: ReleaseStatus, reason: str) -> None:
    state = release_state(CTX, status, now=NOW)
    assert state.status is expected
    assert reason in state.reason


def test_a_locked_release_knows_how_long_it_has_been_locked() -> None:
    assert release_state(CTX, helm("pending-install", seconds_ago=90), now=NOW).age == timedelta(seconds=90)


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        pytest.param([{"revision": 1, "status": "pending-install"}], None, id="never deployed: uninstall"),
        pytest.param(
            [{"revision": 1, "status": "superseded"}, {"revision": 2, "status": "deployed"},
             {"revision": 3, "status": "pending-upgrade"}], 2, id="roll back to the last deployed",
        ),
        pytest.param(
            [{"revision": 1, "status": "superseded"}, {"revision": 2, "status": "failed"},
             {"revision": 3, "status": "pending-rollback"}], 1, id="skip failed revisions",
        ),
    ],
)
def test_last_good_revision(history: list[dict[str, Any]], expected: int | None) -> None:
    assert last_good_revision(history) == expected


@pytest.mark.parametrize(
    ("actual", "desired", "expected"),
    [
        pytest.param({"a": "1", "extra": "x"}, {"a": "1"}, True, id="server defaults are fine"),
        pytest.param({"a": "2"}, {"a": "1"}, False, id="a changed value"),
        pytest.param({"l": [{"x": 1, "y": 2}]}, {"l": [{"x": 1}]}, True, id="lists element-wise"),
        pytest.param({"l": [{"x": 1}, {"x": 2}]}, {"l": [{"x": 1}]}, False, id="an added list element"),
        pytest.param(None, {"a": "1"}, False, id="missing"),
    ],
)
def test_contains(actual: Any, desired: Any, expected: bool) -> None:
    assert contains(actual, desired) is expected


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        pytest.param({"storeplane.dev/store-id": str(CTX.store.id)}, NamespaceStatus.MISLABELED,
                     id="ours, other labels changed"),
        pytest.param({"storeplane.dev/store-id": str(uuid4())}, NamespaceStatus.FOREIGN,
                     id="another store's"),
        pytest.param({}, NamespaceStatus.FOREIGN, id="unlabelled: never adopted"),
    ],
)
def test_only_a_namespace_labelled_with_the_store_id_is_the_stores(
    labels: dict[str, str], expected: NamespaceStatus
) -> None:
    found = {"metadata": {"name": "store-1", "labels": labels}, "status": {"phase": "Active"}}
    assert namespace_state(CTX, found).status is expected


def policy(name: str, **annotations: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "annotations": annotations}}


@pytest.mark.parametrize(
    ("policies", "expected"),
    [
        pytest.param([policy("storeplane-default-deny")], [], id="only ours"),
        pytest.param(
            [policy("chart-own", **{"meta.helm.sh/release-name": "shop",
                                    "meta.helm.sh/release-namespace": "store-1"})],
            [], id="the store's release's own",
        ),
        pytest.param([policy("storeplane-default-deny"), policy("allow-all")], ["allow-all"],
                     id="an allow-all added beside ours"),
        pytest.param(
            [policy("sneaky", **{"meta.helm.sh/release-name": "shop",
                                 "meta.helm.sh/release-namespace": "store-other"})],
            ["sneaky"], id="another namespace's release",
        ),
    ],
)
def test_network_policies_storeplane_did_not_put_there_are_drift(
    policies: list[dict[str, Any]], expected: list[str]
) -> None:
    assert extra_policies(policies, namespace="store-1", release="shop") == expected
