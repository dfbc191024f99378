"""Choosing the next action: a pure function from the store and the observed world to one action.

Fed by the store snapshot (what was recorded) and the `World` (what the cluster holds); feeds the
worker, which runs the action and decides again until the store needs nothing. No I/O here, so
every situation is a row in `tests/reconciler/decide/test_decide.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.store import ProvisioningStep, StoreStatus
from reconciler.decide import messages
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
from reconciler.observe.observation import NamespaceStatus, PartStatus, ReleaseStatus, World
from reconciler.snapshot import StoreSnapshot

OBSERVED_STATUSES = frozenset({StoreStatus.PROVISIONING, StoreStatus.READY, StoreStatus.DELETING})


@dataclass(frozen=True)
class DecideConfig:
    resync_interval: timedelta = timedelta(minutes=2)
    stuck_release_grace: timedelta = timedelta(seconds=30)
    # How soon to look again while the cluster works on something (namespace going away).
    wait_interval: timedelta = timedelta(seconds=2)


FOUNDATION_STEPS = frozenset(
    {ProvisioningStep.NAMESPACE, ProvisioningStep.GUARDRAILS, ProvisioningStep.CREDENTIALS}
)


def needs_world(store: StoreSnapshot) -> bool:
    return store.status in OBSERVED_STATUSES


def needs_release(store: StoreSnapshot) -> bool:
    """Whether `decide` may look at the release and workloads; reading them costs a helm process,
    and while an earlier step is not recorded `decide` chooses that step whatever they are."""
    return store.status is not StoreStatus.PROVISIONING or store.completed_steps >= FOUNDATION_STEPS


def decide(store: StoreSnapshot, world: World | None, now: datetime, config: DecideConfig) -> Action:
    if store.status is StoreStatus.REQUESTED:
        return StartProvisioning()
    if world is None or store.status not in OBSERVED_STATUSES:
        return Idle(after=None)
    if store.status is StoreStatus.PROVISIONING:
        if store.retry_at is not None and store.retry_at > now:
            return Wait(reason="", after=store.retry_at - now)
        return _provision(store, world, config)
    if store.status is StoreStatus.READY:
        return _resync(store, world, config)
    return _delete(store, world, config)


def _provision(store: StoreSnapshot, world: World, config: DecideConfig) -> Action:
    if world.unreachable:
        return GiveUp(_next_step(store), world.unreachable, permanent=world.unreachable_permanent)
    namespace = world.namespace
    if namespace.status is NamespaceStatus.FOREIGN:
        return GiveUp(Step.NAMESPACE, namespace.reason, permanent=True)
    if namespace.status is NamespaceStatus.TERMINATING:
        return Wait(reason=namespace.reason, after=config.wait_interval)
    if namespace.status is not NamespaceStatus.ACTIVE or not store.done(ProvisioningStep.NAMESPACE):
        return EnsureNamespace()
    if world.guardrails.status is not PartStatus.IN_SYNC or not store.done(ProvisioningStep.GUARDRAILS):
        return ApplyGuardrails()
    if world.credentials.status is not PartStatus.IN_SYNC or not store.done(ProvisioningStep.CREDENTIALS):
        return IssueCredentials()
    return _release_then_ready(store, world, config)


def _release_then_ready(store: StoreSnapshot, world: World, config: DecideConfig) -> Action:
    release = world.release
    if release.status is ReleaseStatus.LOCKED:
        if release.age < config.stuck_release_grace:
            return Wait(reason=release.reason, after=config.stuck_release_grace - release.age)
        return RecoverRelease(helm_status=release.helm_status)
    if release.status is ReleaseStatus.UNINSTALLING:
        return Wait(reason=release.reason, after=config.wait_interval)
    if release.status is ReleaseStatus.OUT_OF_SYNC and store.done(ProvisioningStep.RELEASE):
        # Our own install did not stick (e.g. values Helm records differently): upgrading again
        # would only add revisions, so fail this attempt and let the retry limit end it.
        return GiveUp(Step.RELEASE, release.reason, permanent=False)
    if release.status is not ReleaseStatus.IN_SYNC:
        return InstallRelease()
    if not store.done(ProvisioningStep.RELEASE):
        return RecordRelease(revision=release.revision, chart=release.chart)
    if world.workloads.status is PartStatus.IN_SYNC:
        return MarkReady()
    permanent = world.workloads.status is PartStatus.BROKEN
    return GiveUp(Step.READY, world.workloads.reason, permanent=permanent)


def _resync(store: StoreSnapshot, world: World, config: DecideConfig) -> Action:
    if world.unreachable:
        # Cannot tell whether it drifted (not a drift), but say so rather than go quietly idle.
        reason = messages.CANNOT_OBSERVE.format(error=world.unreachable)
        return Wait(reason=reason, after=config.resync_interval)
    drift = _drift(store, world)
    if drift:
        return RecordDrift(drift=drift)
    return Idle(after=config.resync_interval)


def _drift(store: StoreSnapshot, world: World) -> str:
    namespace = world.namespace
    if namespace.status in (NamespaceStatus.ABSENT, NamespaceStatus.TERMINATING):
        return messages.NAMESPACE_REMOVED.format(namespace=store.namespace)
    if namespace.status is not NamespaceStatus.ACTIVE:
        return namespace.reason
    for part in (world.guardrails, world.credentials):
        if part.status is not PartStatus.IN_SYNC:
            return part.reason
    release = world.release
    if release.status is ReleaseStatus.ABSENT:
        return messages.RELEASE_REMOVED.format(release=store.name)
    if release.status is not ReleaseStatus.IN_SYNC:
        return release.reason
    return ""


def _delete(store: StoreSnapshot, world: World, config: DecideConfig) -> Action:
    if world.unreachable:
        return GiveUp(Step.DELETE, world.unreachable, permanent=False)
    if world.release.status not in (ReleaseStatus.ABSENT, ReleaseStatus.UNINSTALLING):
        return UninstallRelease()
    namespace = world.namespace
    if namespace.status in (NamespaceStatus.ACTIVE, NamespaceStatus.MISLABELED):
        return DeleteNamespace()
    if namespace.status is NamespaceStatus.TERMINATING or world.release.status is ReleaseStatus.UNINSTALLING:
        reason = namespace.reason or world.release.reason
        return Wait(reason=reason, after=config.wait_interval)
    return FinishDeletion()  # absent, or never ours: nothing of this store is left


def _next_step(store: StoreSnapshot) -> Step:
    for step in ProvisioningStep:
        if not store.done(step):
            return Step(step.value)
    return Step.READY
