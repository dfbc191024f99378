"""The Store aggregate: every command on a store and every outcome the reconciler reports.

Fed by the application service (commands from the API, the CLI and the reconciler); what it records
are the events the projections turn into the read model. Each command method is guards followed by
one recorded event; the event's `apply` body is the only place state changes, so replaying the
events always rebuilds the same store.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Stamp
from domain.catalog import Engine, PlanCatalog
from domain.errors import CredentialsNotReady, IllegalTransition, InvalidInput
from domain.naming import check_new_tenant, check_store_name, namespace_for
from domain.text import check_correlation_id, check_optional_text, check_text

_IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "storeplane:store-idempotency")
MAX_IDEMPOTENCY_KEY = 200


class StoreStatus(StrEnum):
    REQUESTED = "requested"
    PROVISIONING = "provisioning"
    READY = "ready"
    FAILED = "failed"
    DELETING = "deleting"
    DELETED = "deleted"


LIVE_STATUSES = frozenset(
    {StoreStatus.REQUESTED, StoreStatus.PROVISIONING, StoreStatus.READY, StoreStatus.FAILED}
)


class ProvisioningStep(StrEnum):
    """The provisioning steps in the order the reconciler takes them; the dashboard's stepper."""

    NAMESPACE = "namespace"
    GUARDRAILS = "guardrails"
    CREDENTIALS = "credentials"
    RELEASE = "release"
    READY = "ready"


def store_id_for(tenant: str, idempotency_key: str | None) -> UUID:
    """A deterministic id for a keyed request, so a repeated request finds the store it created."""
    if idempotency_key:
        return uuid5(_IDEMPOTENCY_NAMESPACE, f"{tenant}\x00{idempotency_key}")
    return uuid4()


class Store(Aggregate):
    class Event(Aggregate.Event):
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            # Every event stamps the store with who made the change and for which request, so no
            # recorded method has to (eventsourcing calls this after the method's own body).
            aggregate.last_actor = self.actor
            aggregate.last_correlation_id = self.correlation_id
            super().apply(aggregate)

    class Requested(Aggregate.Created, Event):
        name: str
        tenant: str
        engine: str
        plan: str
        namespace: str
        idempotency_key: str | None

    class ProvisioningStarted(Event):
        pass

    class NamespaceReady(Event):
        namespace: str

    class GuardrailsApplied(Event):
        resources: list[str]

    class CredentialsIssued(Event):
        secret_name: str

    class ReleaseInstalled(Event):
        release: str
        chart: str
        revision: int

    class BecameReady(Event):
        url: str
        # What showed the store serves ("GET / answered 200 in 12 ms"), or why it was not checked.
        # Events recorded before the check existed have none.
        check: str = ""

    class AttemptFailed(Event):
        step: str
        reason: str
        attempt: int
        retry_at: datetime

    class ProvisioningFailed(Event):
        step: str
        reason: str
        retryable: bool

    class RetryRequested(Event):
        pass

    class DeletionRequested(Event):
        pass

    class ProgressNoted(Event):
        reason: str

    class ReleaseRecovered(Event):
        release: str
        stuck_status: str

    class ReleaseUninstalled(Event):
        release: str

    class Deleted(Event):
        pass

    class DriftDetected(Event):
        drift: str

    class CredentialsRevealed(Event):
        """Someone was shown the store's admin credentials. Only who and for which request: the
        values themselves are never recorded (the event store is read by every component)."""

    @event(Requested)
    def __init__(
        self,
        *,
        id: UUID,
        name: str,
        tenant: str,
        engine: str,
        plan: str,
        namespace: str,
        idempotency_key: str | None,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.name = name
        self.tenant = tenant
        self.engine = engine
        self.plan = plan
        self.namespace = namespace
        self.idempotency_key = idempotency_key
        self.status = StoreStatus.REQUESTED
        self.status_reason = "waiting for the reconciler"
        self.url: str | None = None
        self.attempt = 0
        self.retry_at: datetime | None = None
        self.completed_steps: list[str] = []
        self.release_revision: int | None = None
        self.last_actor = actor  # set again by Event.apply; here so the attributes are declared
        self.last_correlation_id = correlation_id

    @classmethod
    def request(
        cls,
        *,
        name: str,
        tenant: str,
        engine: str,
        plan: str,
        idempotency_key: str | None,
        stamp: Stamp,
        plans: PlanCatalog,
    ) -> Store:
        """Validates a request for a new store and records it; the first event of every store."""
        check_new_tenant(tenant)
        check_store_name(name)
        engine_value = Engine.parse(check_text("engine", engine)).value
        plan_value = plans.get(check_text("plan", plan)).name
        check_optional_text("idempotencyKey", idempotency_key)
        check_correlation_id("correlationId", stamp.correlation_id)
        if idempotency_key is not None and not (1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY):
            raise InvalidInput(
                "idempotencyKey", f"idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY} characters"
            )
        store_id = store_id_for(tenant, idempotency_key)
        return cls(
            id=store_id,
            name=name,
            tenant=tenant,
            engine=engine_value,
            plan=plan_value,
            namespace=namespace_for(uuid4()),
            idempotency_key=idempotency_key,
            **stamp.fields(),
        )

    # Guards ---------------------------------------------------------------------------------

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    def _check_status(self, action: str, *allowed: StoreStatus, hint: str = "") -> None:
        if self.status not in allowed:
            raise IllegalTransition(action, self.status.value, hint)

    # Commands from users ----------------------------------------------------------------------

    def request_retry(self, *, stamp: Stamp) -> None:
        check_correlation_id("correlationId", stamp.correlation_id)
        self._check_status("retry", StoreStatus.FAILED, hint="only a failed store can be retried")
        self._retry_requested(**stamp.fields())

    def request_deletion(self, *, stamp: Stamp) -> None:
        check_correlation_id("correlationId", stamp.correlation_id)
        if self.status == StoreStatus.DELETING:
            raise IllegalTransition("delete", self.status.value, "deletion is already under way")
        self._check_status("delete", *LIVE_STATUSES)
        self._deletion_requested(**stamp.fields())

    def check_credentials_readable(self) -> None:
        """Only a READY store has credentials to reveal (a provisioning one may have no Secret yet,
        a deleting one is losing it)."""
        if self.status != StoreStatus.READY:
            raise CredentialsNotReady(self.status.value)

    def reveal_credentials(self, *, stamp: Stamp) -> None:
        check_correlation_id("correlationId", stamp.correlation_id)
        self.check_credentials_readable()
        self._credentials_revealed(**stamp.fields())

    # Outcomes reported by the reconciler ----------------------------------------------------

    def start_provisioning(self, *, stamp: Stamp) -> None:
        self._check_status("start provisioning", StoreStatus.REQUESTED)
        self._provisioning_started(**stamp.fields())

    def record_namespace_ready(self, *, namespace: str, stamp: Stamp) -> None:
        self._check_status("record the namespace of", StoreStatus.PROVISIONING)
        self._namespace_ready(namespace=namespace, **stamp.fields())

    def record_guardrails_applied(self, *, resources: list[str], stamp: Stamp) -> None:
        self._check_status("record the guardrails of", StoreStatus.PROVISIONING)
        self._guardrails_applied(resources=resources, **stamp.fields())

    def record_credentials_issued(self, *, secret_name: str, stamp: Stamp) -> None:
        self._check_status("record the credentials of", StoreStatus.PROVISIONING)
        self._credentials_issued(secret_name=secret_name, **stamp.fields())

    def record_release_installed(self, *, release: str, chart: str, revision: int, stamp: Stamp) -> None:
        self._check_status("record the release of", StoreStatus.PROVISIONING)
        self._release_installed(release=release, chart=chart, revision=revision, **stamp.fields())

    def record_ready(self, *, url: str, check: str, stamp: Stamp) -> None:
        self._check_status("mark ready", StoreStatus.PROVISIONING)
        self._became_ready(url=url, check=check, **stamp.fields())

    def record_attempt_failed(self, *, step: str, reason: str, retry_at: datetime, stamp: Stamp) -> None:
        self._check_status("record a failed attempt of", StoreStatus.PROVISIONING)
        self._attempt_failed(
            step=step, reason=reason, attempt=self.attempt + 1, retry_at=retry_at,
            **stamp.fields(),
        )

    def record_failed(self, *, step: str, reason: str, retryable: bool, stamp: Stamp) -> None:
        self._check_status("fail", StoreStatus.PROVISIONING)
        self._provisioning_failed(step=step, reason=reason, retryable=retryable, **stamp.fields())

    def note_progress(self, *, reason: str, stamp: Stamp) -> None:
        self._check_status(
            "note progress of", StoreStatus.PROVISIONING, StoreStatus.DELETING, StoreStatus.READY
        )
        if reason != self.status_reason:
            self._progress_noted(reason=reason, **stamp.fields())

    def record_release_recovered(self, *, release: str, stuck_status: str, stamp: Stamp) -> None:
        self._check_status("recover the release of", StoreStatus.PROVISIONING, StoreStatus.DELETING)
        self._release_recovered(release=release, stuck_status=stuck_status, **stamp.fields())

    def record_drift(self, *, drift: str, stamp: Stamp) -> None:
        self._check_status("record drift of", StoreStatus.READY)
        self._drift_detected(drift=drift, **stamp.fields())

    def record_release_uninstalled(self, *, release: str, stamp: Stamp) -> None:
        self._check_status("record the uninstall of", StoreStatus.DELETING)
        self._release_uninstalled(release=release, **stamp.fields())

    def record_deleted(self, *, stamp: Stamp) -> None:
        self._check_status("finish deleting", StoreStatus.DELETING)
        self._deleted(**stamp.fields())

    # Recorded events: the only place where state changes ------------------------------------

    def _complete(self, step: ProvisioningStep) -> None:
        if step.value not in self.completed_steps:
            self.completed_steps = [*self.completed_steps, step.value]

    @event(RetryRequested)
    def _retry_requested(self, *, actor: str, correlation_id: str) -> None:
        self.status = StoreStatus.PROVISIONING
        self.status_reason = "retry requested"
        self.attempt = 0
        self.retry_at = None
        self.completed_steps = []

    @event(DeletionRequested)
    def _deletion_requested(self, *, actor: str, correlation_id: str) -> None:
        self.status = StoreStatus.DELETING
        self.status_reason = "deletion requested"
        self.retry_at = None

    @event(ProvisioningStarted)
    def _provisioning_started(self, *, actor: str, correlation_id: str) -> None:
        self.status = StoreStatus.PROVISIONING
        self.status_reason = "provisioning started"

    @event(NamespaceReady)
    def _namespace_ready(self, *, namespace: str, actor: str, correlation_id: str) -> None:
        self.namespace = namespace
        self.status_reason = f"namespace {namespace} ready"
        self._complete(ProvisioningStep.NAMESPACE)

    @event(GuardrailsApplied)
    def _guardrails_applied(self, *, resources: list[str], actor: str, correlation_id: str) -> None:
        self.status_reason = "quota, limits and network policy applied"
        self._complete(ProvisioningStep.GUARDRAILS)

    @event(CredentialsIssued)
    def _credentials_issued(self, *, secret_name: str, actor: str, correlation_id: str) -> None:
        self.status_reason = f"credentials stored in secret {secret_name}"
        self._complete(ProvisioningStep.CREDENTIALS)

    @event(ReleaseInstalled)
    def _release_installed(
        self, *, release: str, chart: str, revision: int, actor: str, correlation_id: str
    ) -> None:
        self.release_revision = revision
        self.status_reason = f"release {release} revision {revision} installed; waiting for ready"
        self._complete(ProvisioningStep.RELEASE)

    @event(BecameReady)
    def _became_ready(self, *, url: str, actor: str, correlation_id: str, check: str = "") -> None:
        self.status = StoreStatus.READY
        self.status_reason = ""
        self.url = url
        self.attempt = 0
        self.retry_at = None
        self._complete(ProvisioningStep.READY)

    @event(AttemptFailed)
    def _attempt_failed(
        self, *, step: str, reason: str, attempt: int, retry_at: datetime, actor: str,
        correlation_id: str,
    ) -> None:
        self.attempt = attempt
        self.retry_at = retry_at
        self.status_reason = f"attempt {attempt} failed at {step}: {reason}; retrying"

    @event(ProvisioningFailed)
    def _provisioning_failed(
        self, *, step: str, reason: str, retryable: bool, actor: str, correlation_id: str
    ) -> None:
        self.status = StoreStatus.FAILED
        self.status_reason = f"{step}: {reason}"
        self.retry_at = None

    @event(ProgressNoted)
    def _progress_noted(self, *, reason: str, actor: str, correlation_id: str) -> None:
        self.status_reason = reason

    @event(ReleaseRecovered)
    def _release_recovered(self, *, release: str, stuck_status: str, actor: str, correlation_id: str) -> None:
        self.status_reason = f"recovered release {release} stuck in {stuck_status}"

    @event(DriftDetected)
    def _drift_detected(self, *, drift: str, actor: str, correlation_id: str) -> None:
        self.status = StoreStatus.PROVISIONING
        self.status_reason = f"repairing drift: {drift}"
        self.completed_steps = []

    @event(ReleaseUninstalled)
    def _release_uninstalled(self, *, release: str, actor: str, correlation_id: str) -> None:
        self.release_revision = None
        self.status_reason = f"release {release} uninstalled; deleting namespace"

    @event(CredentialsRevealed)
    def _credentials_revealed(self, *, actor: str, correlation_id: str) -> None:
        """Changes nothing but who touched the store last (`Event.apply`): a reveal is history,
        not state, so the status, its reason and the steps stay as they were."""

    @event(Deleted)
    def _deleted(self, *, actor: str, correlation_id: str) -> None:
        self.status = StoreStatus.DELETED
        self.status_reason = ""
        self.url = None
