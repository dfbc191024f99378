"""Properties of the Store aggregate and its projection over any sequence of commands.

Whatever commands arrive and in whatever order, the store stays in a legal state, replaying its
events rebuilds the same store, and the read-model row built by the projection agrees with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.actors import Stamp
from domain.catalog import PlanCatalog
from domain.errors import DomainError
from domain.store import LIVE_STATUSES, ProvisioningStep, Store, StoreStatus
from projections.store_view import StoreRow, apply, created

S = "system:reconciler"
C = "corr"

Command = Callable[[Store], None]
COMMANDS: dict[str, Command] = {
    "start": lambda s: s.start_provisioning(stamp=Stamp(S, C)),
    "namespace": lambda s: s.record_namespace_ready(namespace=s.namespace, stamp=Stamp(S, C)),
    "guardrails": lambda s: s.record_guardrails_applied(resources=["quota"], stamp=Stamp(S, C)),
    "credentials": lambda s: s.record_credentials_issued(secret_name="creds", stamp=Stamp(S, C)),
    "release": lambda s: s.record_release_installed(release="r", chart="c", revision=1, stamp=Stamp(S, C)),
    "ready": lambda s: s.record_ready(url="http://r", check="", stamp=Stamp(S, C)),
    "attempt_failed": lambda s: s.record_attempt_failed(
        step="release", reason="timeout", retry_at=datetime(2030, 1, 1, tzinfo=UTC), stamp=Stamp(S, C)),
    "failed": lambda s: s.record_failed(step="release", reason="boom", retryable=False, stamp=Stamp(S, C)),
    "retry": lambda s: s.request_retry(stamp=Stamp("tenant:a", C)),
    "delete": lambda s: s.request_deletion(stamp=Stamp("tenant:a", C)),
    "progress": lambda s: s.note_progress(reason="waiting", stamp=Stamp(S, C)),
    "recovered": lambda s: s.record_release_recovered(release="r", stuck_status="pending-install",
                                                      stamp=Stamp(S, C)),
    "drift": lambda s: s.record_drift(drift="namespace removed", stamp=Stamp(S, C)),
    "uninstalled": lambda s: s.record_release_uninstalled(release="r", stamp=Stamp(S, C)),
    "deleted": lambda s: s.record_deleted(stamp=Stamp(S, C)),
}


def check_legal(store: Store) -> None:
    assert store.status in StoreStatus
    assert set(store.completed_steps) <= {s.value for s in ProvisioningStep}
    assert len(store.completed_steps) == len(set(store.completed_steps))
    if store.status is StoreStatus.READY:
        assert store.url is not None
    if store.status is StoreStatus.DELETED:
        assert store.url is None
        assert not store.is_live
    assert store.is_live == (store.status in LIVE_STATUSES)


def row_agrees(row: StoreRow, store: Store) -> None:
    assert row.status == store.status.value
    assert row.status_reason == store.status_reason
    assert row.url == store.url
    assert row.version == store.version
    assert row.attempt == store.attempt
    assert row.retry_at == store.retry_at
    assert list(row.completed_steps) == store.completed_steps
    assert row.namespace == store.namespace


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(sorted(COMMANDS)), max_size=40))
def test_any_command_sequence_keeps_the_store_legal_and_replayable(names: list[str]) -> None:
    store = Store.request(
        name="shop", tenant="acme", engine="medusa", plan="small", idempotency_key=None,
        stamp=Stamp("tenant:a", C), plans=PlanCatalog(),
    )
    events: list[Store.Event] = list(store.collect_events())  # type: ignore[arg-type]
    for name in names:
        before = store.version
        try:
            COMMANDS[name](store)
        except DomainError:
            assert store.version == before, "a refused command must record nothing"
        check_legal(store)
        events.extend(store.collect_events())  # type: ignore[arg-type]

    rebuilt: Store | None = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    assert rebuilt == store

    first = events[0]
    assert isinstance(first, Store.Requested)
    row = created(first, 1)
    for sequence, event in enumerate(events[1:], start=2):
        row = apply(row, event, sequence)
    row_agrees(row, store)
