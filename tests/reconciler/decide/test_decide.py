"""`decide` as a table: given this store and this observed world, the next action is that."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.store import ProvisioningStep, StoreStatus
from reconciler.decide.actions import (
    Action,
    ApplyGuardrails,
    DeleteNamespace,
    EnsureNamespace,
    FinishDeletion,
    GiveUp,
    Idle,
    InstallRelease,
    IssueCredentials,
    MarkReady,
    RecordDrift,
    RecordRelease,
    RecoverRelease,
    StartProvisioning,
    Step,
    UninstallRelease,
    Wait,
)
from reconciler.decide.next_action import DecideConfig, decide, needs_world
from reconciler.observe.observation import (
    NamespaceState,
    NamespaceStatus,
    Part,
    PartStatus,
    ReleaseState,
    ReleaseStatus,
    World,
)
from reconciler.snapshot import StoreSnapshot

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
CONFIG = DecideConfig(
    resync_interval=timedelta(minutes=2), stuck_release_grace=timedelta(seconds=30),
    wait_interval=timedelta(seconds=2),
)
ALL_STEPS = frozenset(ProvisioningStep) - {ProvisioningStep.READY}
BEFORE_RELEASE = frozenset(
    {ProvisioningStep.NAMESPACE, ProvisioningStep.GUARDRAILS, ProvisioningStep.CREDENTIALS}
)


def store(
    status: StoreStatus, steps: frozenset[ProvisioningStep] = frozenset(), **extra: object
) -> StoreSnapshot:
    snapshot = StoreSnapshot(
        id=uuid4(), version=3, name="shop", tenant="acme", engine="woocommerce", plan="small",
        namespace="store-0123456789abcdef", status=status, attempt=0, retry_at=None,
        completed_steps=steps, correlation_id="c-1",
    )
    return replace(snapshot, **extra)  # type: ignore[arg-type]


ACTIVE = NamespaceState(NamespaceStatus.ACTIVE)
DEPLOYED = ReleaseState(ReleaseStatus.IN_SYNC, revision=1, chart="mini-0.1.0")
IN_SYNC_WORLD = World(namespace=ACTIVE, release=DEPLOYED)


def world(**parts: object) -> World:
    return replace(IN_SYNC_WORLD, **parts)  # type: ignore[arg-type]


def locked(age: int) -> ReleaseState:
    return ReleaseState(
        ReleaseStatus.LOCKED, reason="release shop is pending-install", helm_status="pending-install",
        revision=1, age=timedelta(seconds=age),
    )


@dataclass(frozen=True)
class Case:
    name: str
    store: StoreSnapshot
    world: World | None
    expected: Action


PROVISIONING = StoreStatus.PROVISIONING
CASES = [
    # Requested: start, whatever the cluster holds.
    Case("requested starts provisioning", store(StoreStatus.REQUESTED), None, StartProvisioning()),
    # Provisioning, in step order.
    Case("nothing exists: create the namespace", store(PROVISIONING), World.empty(), EnsureNamespace()),
    Case(
        "namespace exists after a crash but is not recorded: ensure and record it",
        store(PROVISIONING), world(guardrails=Part(PartStatus.MISSING)), EnsureNamespace(),
    ),
    Case(
        "namespace labels changed: relabel",
        store(PROVISIONING, ALL_STEPS), world(namespace=NamespaceState(NamespaceStatus.MISLABELED)),
        EnsureNamespace(),
    ),
    Case(
        "guardrails missing", store(PROVISIONING, frozenset({ProvisioningStep.NAMESPACE})),
        world(guardrails=Part(PartStatus.MISSING)), ApplyGuardrails(),
    ),
    Case(
        "guardrails recorded but changed since", store(PROVISIONING, ALL_STEPS),
        world(guardrails=Part(PartStatus.CHANGED, "ResourceQuota storeplane-quota was changed")),
        ApplyGuardrails(),
    ),
    Case(
        "credentials missing",
        store(PROVISIONING, frozenset({ProvisioningStep.NAMESPACE, ProvisioningStep.GUARDRAILS})),
        world(credentials=Part(PartStatus.MISSING)), IssueCredentials(),
    ),
    Case(
        "no release yet: install", store(PROVISIONING, BEFORE_RELEASE),
        world(release=ReleaseState(ReleaseStatus.ABSENT)), InstallRelease(),
    ),
    Case(
        "release deployed by a process that crashed before recording: record only, no second install",
        store(PROVISIONING, BEFORE_RELEASE), world(), RecordRelease(revision=1, chart="mini-0.1.0"),
    ),
    Case(
        "release out of sync: upgrade", store(PROVISIONING, BEFORE_RELEASE),
        world(release=replace(DEPLOYED, status=ReleaseStatus.OUT_OF_SYNC)), InstallRelease(),
    ),
    Case(
        "still out of sync after our own install: fail the attempt instead of upgrading forever",
        store(PROVISIONING, ALL_STEPS),
        world(release=replace(DEPLOYED, status=ReleaseStatus.OUT_OF_SYNC, reason="values differ")),
        GiveUp(Step.RELEASE, "values differ", permanent=False),
    ),
    Case(
        "failed release: upgrade --install again", store(PROVISIONING, BEFORE_RELEASE),
        world(release=replace(DEPLOYED, status=ReleaseStatus.FAILED)), InstallRelease(),
    ),
    Case(
        "release locked by a dead process long ago: recover it",
        store(PROVISIONING, BEFORE_RELEASE), world(release=locked(age=120)),
        RecoverRelease(helm_status="pending-install"),
    ),
    Case(
        "release locked moments ago: wait out the grace period",
        store(PROVISIONING, BEFORE_RELEASE), world(release=locked(age=10)),
        Wait(reason="release shop is pending-install", after=timedelta(seconds=20)),
    ),
    Case("all steps done and workloads ready: ready", store(PROVISIONING, ALL_STEPS), world(), MarkReady()),
    Case(
        "workloads not ready yet: a temporary failure of the ready step",
        store(PROVISIONING, ALL_STEPS),
        world(workloads=Part(PartStatus.PENDING, "waiting for deployment web")),
        GiveUp(Step.READY, "waiting for deployment web", permanent=False),
    ),
    Case(
        "a job gave up: permanent",
        store(PROVISIONING, ALL_STEPS), world(workloads=Part(PartStatus.BROKEN, "job setup failed")),
        GiveUp(Step.READY, "job setup failed", permanent=True),
    ),
    Case(
        "backing off: wait until retry_at", store(PROVISIONING, retry_at=NOW + timedelta(seconds=8)),
        World.empty(), Wait(reason="", after=timedelta(seconds=8)),
    ),
    Case(
        "retry_at passed: go on", store(PROVISIONING, retry_at=NOW - timedelta(seconds=1)),
        World.empty(), EnsureNamespace(),
    ),
    Case(
        "API unreachable: temporary failure of the next step",
        store(PROVISIONING, frozenset({ProvisioningStep.NAMESPACE})),
        World.unreachable_because("Kubernetes API unreachable: refused"),
        GiveUp(Step.GUARDRAILS, "Kubernetes API unreachable: refused", permanent=False),
    ),
    Case(
        "namespace of someone else: permanent",
        store(PROVISIONING), world(namespace=NamespaceState(NamespaceStatus.FOREIGN, "not ours")),
        GiveUp(Step.NAMESPACE, "not ours", permanent=True),
    ),
    Case(
        "namespace of an earlier life still terminating: wait",
        store(PROVISIONING),
        world(namespace=NamespaceState(NamespaceStatus.TERMINATING, "terminating: 2 left")),
        Wait(reason="terminating: 2 left", after=timedelta(seconds=2)),
    ),
    # Ready: drift resync.
    Case("ready and in sync: idle until the next resync", store(StoreStatus.READY, ALL_STEPS), world(),
         Idle(after=timedelta(minutes=2))),
    Case(
        "ready, namespace deleted out of band: drift", store(StoreStatus.READY, ALL_STEPS), World.empty(),
        RecordDrift(drift="namespace store-0123456789abcdef was deleted"),
    ),
    Case(
        "ready, release uninstalled out of band: drift", store(StoreStatus.READY, ALL_STEPS),
        world(release=ReleaseState(ReleaseStatus.ABSENT)), RecordDrift(drift="release shop was uninstalled"),
    ),
    Case(
        "ready, release values changed: drift", store(StoreStatus.READY, ALL_STEPS),
        world(release=replace(DEPLOYED, status=ReleaseStatus.OUT_OF_SYNC, reason="values changed")),
        RecordDrift(drift="values changed"),
    ),
    Case(
        "ready, quota removed: drift", store(StoreStatus.READY, ALL_STEPS),
        world(guardrails=Part(PartStatus.MISSING, "ResourceQuota storeplane-quota is missing")),
        RecordDrift(drift="ResourceQuota storeplane-quota is missing"),
    ),
    Case(
        "ready, API unreachable: no drift, but said, and looked at again later",
        store(StoreStatus.READY, ALL_STEPS), World.unreachable_because("down"),
        Wait(reason="running, but its state cannot be read: down", after=timedelta(minutes=2)),
    ),
    Case(
        "provisioning, reading refused for good (RBAC): fail without retries",
        store(StoreStatus.PROVISIONING), World.unreachable_because("forbidden", permanent=True),
        GiveUp(Step.NAMESPACE, "forbidden", permanent=True),
    ),
    # Deleting.
    Case(
        "deleting with a release: uninstall", store(StoreStatus.DELETING, ALL_STEPS), world(),
        UninstallRelease(),
    ),
    Case(
        "deleting with a locked release: uninstall it anyway", store(StoreStatus.DELETING),
        world(release=locked(age=1)), UninstallRelease(),
    ),
    Case(
        "deleting, release gone: delete the namespace", store(StoreStatus.DELETING),
        world(release=ReleaseState(ReleaseStatus.ABSENT)), DeleteNamespace(),
    ),
    Case(
        "deleting, namespace terminating: wait and say what remains", store(StoreStatus.DELETING),
        World(namespace=NamespaceState(NamespaceStatus.TERMINATING, "namespace x terminating: 3 left")),
        Wait(reason="namespace x terminating: 3 left", after=timedelta(seconds=2)),
    ),
    Case("deleting, nothing left: finish", store(StoreStatus.DELETING), World.empty(), FinishDeletion()),
    Case(
        "deleting, namespace never ours: leave it, finish", store(StoreStatus.DELETING),
        World(namespace=NamespaceState(NamespaceStatus.FOREIGN, "not ours")), FinishDeletion(),
    ),
    Case(
        "deleting, API unreachable: temporary", store(StoreStatus.DELETING),
        World.unreachable_because("down"),
        GiveUp(Step.DELETE, "down", permanent=False),
    ),
    # Nothing to do.
    Case("failed: idle until retried", store(StoreStatus.FAILED), None, Idle(after=None)),
    Case("deleted: idle", store(StoreStatus.DELETED), None, Idle(after=None)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_decide(case: Case) -> None:
    assert decide(case.store, case.world, NOW, CONFIG) == case.expected


@pytest.mark.parametrize(
    ("status", "observed"),
    [
        (StoreStatus.REQUESTED, False), (StoreStatus.PROVISIONING, True), (StoreStatus.READY, True),
        (StoreStatus.DELETING, True), (StoreStatus.FAILED, False), (StoreStatus.DELETED, False),
    ],
)
def test_only_stores_with_cluster_work_are_observed(status: StoreStatus, observed: bool) -> None:
    assert needs_world(store(status)) is observed


def test_every_case_name_is_unique() -> None:
    assert len({c.name for c in CASES}) == len(CASES)

