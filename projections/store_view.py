"""The stores view: one row per store with its current status, URL, namespace and version.

Fed by Store events, one small handler per event type; the runner loads the rows a batch touches,
passes each event through its handler, and writes the rows back (see `postgres_view`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from domain.store import ProvisioningStep, Store, StoreStatus


@dataclass(frozen=True)
class StoreRow:
    id: UUID
    tenant: str
    name: str
    engine: str
    plan: str
    namespace: str
    idempotency_key: str | None
    status: str
    status_reason: str
    url: str | None
    version: int
    attempt: int
    retry_at: datetime | None
    completed_steps: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    last_sequence: int


E = TypeVar("E", bound=Store.Event)
Handler = Callable[[StoreRow, Any], StoreRow]
_HANDLERS: dict[type[Store.Event], Handler] = {}


def handles(event_type: type[E]) -> Callable[[Callable[[StoreRow, E], StoreRow]], Handler]:
    def register(handler: Callable[[StoreRow, E], StoreRow]) -> Handler:
        _HANDLERS[event_type] = handler
        return handler

    return register


def created(event: Store.Requested, sequence: int) -> StoreRow:
    return StoreRow(
        id=event.originator_id,
        tenant=event.tenant,
        name=event.name,
        engine=event.engine,
        plan=event.plan,
        namespace=event.namespace,
        idempotency_key=event.idempotency_key,
        status=StoreStatus.REQUESTED.value,
        status_reason="waiting for the reconciler",
        url=None,
        version=event.originator_version,
        attempt=0,
        retry_at=None,
        completed_steps=(),
        created_at=event.timestamp,
        updated_at=event.timestamp,
        last_sequence=sequence,
    )


def apply(row: StoreRow, event: Store.Event, sequence: int) -> StoreRow:
    """Applies one event after the store's creation; events without a handler only bump versions."""
    handler = _HANDLERS.get(type(event))
    changed = handler(row, event) if handler else row
    return replace(
        changed, version=event.originator_version, updated_at=event.timestamp,
        last_sequence=sequence,
    )


def _with_step(row: StoreRow, step: ProvisioningStep, reason: str) -> StoreRow:
    steps = row.completed_steps if step.value in row.completed_steps else (
        *row.completed_steps, step.value,
    )
    return replace(row, completed_steps=steps, status_reason=reason)


@handles(Store.ProvisioningStarted)
def _provisioning_started(row: StoreRow, _: Store.ProvisioningStarted) -> StoreRow:
    return replace(row, status=StoreStatus.PROVISIONING.value, status_reason="provisioning started")


@handles(Store.NamespaceReady)
def _namespace_ready(row: StoreRow, e: Store.NamespaceReady) -> StoreRow:
    row = replace(row, namespace=e.namespace)
    return _with_step(row, ProvisioningStep.NAMESPACE, f"namespace {e.namespace} ready")


@handles(Store.GuardrailsApplied)
def _guardrails_applied(row: StoreRow, _: Store.GuardrailsApplied) -> StoreRow:
    return _with_step(row, ProvisioningStep.GUARDRAILS, "quota, limits and network policy applied")


@handles(Store.CredentialsIssued)
def _credentials_issued(row: StoreRow, e: Store.CredentialsIssued) -> StoreRow:
    return _with_step(
        row, ProvisioningStep.CREDENTIALS, f"credentials stored in secret {e.secret_name}"
    )


@handles(Store.ReleaseInstalled)
def _release_installed(row: StoreRow, e: Store.ReleaseInstalled) -> StoreRow:
    return _with_step(
        row, ProvisioningStep.RELEASE,
        f"release {e.release} revision {e.revision} installed; waiting for ready",
    )


@handles(Store.BecameReady)
def _became_ready(row: StoreRow, e: Store.BecameReady) -> StoreRow:
    row = replace(
        row, status=StoreStatus.READY.value, url=e.url, attempt=0, retry_at=None,
    )
    return _with_step(row, ProvisioningStep.READY, "")


@handles(Store.AttemptFailed)
def _attempt_failed(row: StoreRow, e: Store.AttemptFailed) -> StoreRow:
    return replace(
        row, attempt=e.attempt, retry_at=e.retry_at,
        status_reason=f"attempt {e.attempt} failed at {e.step}: {e.reason}; retrying",
    )


@handles(Store.ProvisioningFailed)
def _provisioning_failed(row: StoreRow, e: Store.ProvisioningFailed) -> StoreRow:
    return replace(
        row, status=StoreStatus.FAILED.value, status_reason=f"{e.step}: {e.reason}", retry_at=None,
    )


@handles(Store.RetryRequested)
def _retry_requested(row: StoreRow, _: Store.RetryRequested) -> StoreRow:
    return replace(
        row, status=StoreStatus.PROVISIONING.value, status_reason="retry requested", attempt=0,
        retry_at=None, completed_steps=(),
    )


@handles(Store.DeletionRequested)
def _deletion_requested(row: StoreRow, _: Store.DeletionRequested) -> StoreRow:
    return replace(
        row, status=StoreStatus.DELETING.value, status_reason="deletion requested", retry_at=None,
    )


@handles(Store.ProgressNoted)
def _progress_noted(row: StoreRow, e: Store.ProgressNoted) -> StoreRow:
    return replace(row, status_reason=e.reason)


@handles(Store.ReleaseRecovered)
def _release_recovered(row: StoreRow, e: Store.ReleaseRecovered) -> StoreRow:
    return replace(
        row, status_reason=f"recovered release {e.release} stuck in {e.stuck_status}"
    )


@handles(Store.DriftDetected)
def _drift_detected(row: StoreRow, e: Store.DriftDetected) -> StoreRow:
    return replace(
        row, status=StoreStatus.PROVISIONING.value, status_reason=f"repairing drift: {e.drift}",
        completed_steps=(),
    )


@handles(Store.CredentialsRevealed)
def _credentials_revealed(row: StoreRow, _: Store.CredentialsRevealed) -> StoreRow:
    # A reveal is history (the feed and the audit chain keep it), not state: the row only gets
    # its new version, as the aggregate does.
    return row


@handles(Store.ReleaseUninstalled)
def _release_uninstalled(row: StoreRow, e: Store.ReleaseUninstalled) -> StoreRow:
    return replace(row, status_reason=f"release {e.release} uninstalled; deleting namespace")


@handles(Store.Deleted)
def _deleted(row: StoreRow, _: Store.Deleted) -> StoreRow:
    return replace(row, status=StoreStatus.DELETED.value, status_reason="", url=None)
