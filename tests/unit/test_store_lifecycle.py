"""Scenarios of the Store aggregate: given these events, when this command, then this state or error."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from domain.actors import Stamp
from domain.catalog import PlanCatalog
from domain.errors import IllegalTransition, InvalidInput
from domain.store import Store, StoreStatus, store_id_for

ACTOR = "tenant:acme/token:t1"
SYSTEM = "system:reconciler"


def requested(name: str = "shop", **overrides: str | None) -> Store:
    fields: dict[str, str | None] = {
        "tenant": "acme", "engine": "woocommerce", "plan": "small", "idempotency_key": None,
    }
    fields.update(overrides)
    return Store.request(
        name=name, stamp=Stamp(ACTOR, "c-1"), plans=PlanCatalog(),
        tenant=str(fields["tenant"]), engine=str(fields["engine"]), plan=str(fields["plan"]),
        idempotency_key=fields["idempotency_key"],
    )


def provisioned() -> Store:
    store = requested()
    store.start_provisioning(stamp=Stamp(SYSTEM, "c-1"))
    store.record_namespace_ready(namespace=store.namespace, stamp=Stamp(SYSTEM, "c-1"))
    store.record_ready(url="http://shop.acme.example", check="GET / answered 200", stamp=Stamp(SYSTEM, "c-1"))
    return store


def replayed(store: Store) -> Store:
    events = list(store.collect_events())
    copy: Store | None = None
    for event in events:
        copy = event.mutate(copy)
    assert copy is not None
    return copy


def test_a_request_starts_requested_in_a_namespace_of_its_own() -> None:
    store = requested()
    assert store.status is StoreStatus.REQUESTED
    assert re.fullmatch(r"store-[0-9a-f]{16}", store.namespace)
    [event] = store.collect_events()
    assert isinstance(event, Store.Requested)
    assert (event.actor, event.correlation_id) == (ACTOR, "c-1")


def test_the_happy_path_ends_ready_with_a_url_and_all_steps_done() -> None:
    store = provisioned()
    assert store.status is StoreStatus.READY
    assert store.url == "http://shop.acme.example"
    assert store.completed_steps == ["namespace", "ready"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be empty"),
        ("x" * 41, "the limit is 40"),
        ("Shop", "lower-case"),
        ("-shop", "start and end"),
        ("shop_1", "lower-case"),
    ],
)
def test_bad_names_are_refused_with_the_field_named(name: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        requested(name)
    assert error.value.field == "name"
    assert message in error.value.message


def test_unknown_engine_and_plan_name_the_choices() -> None:
    with pytest.raises(InvalidInput, match="woocommerce, medusa") as engine_error:
        requested(engine="shopify")
    assert engine_error.value.field == "engine"
    with pytest.raises(InvalidInput, match="small, medium, large") as plan_error:
        requested(plan="huge")
    assert plan_error.value.field == "plan"


def test_engine_names_are_case_insensitive() -> None:
    assert requested(engine="MEDUSA").engine == "medusa"


def test_a_keyed_request_has_a_deterministic_id_per_tenant() -> None:
    assert requested(idempotency_key="k1").id == store_id_for("acme", "k1")
    assert requested(idempotency_key="k1").id != requested(idempotency_key="k1", tenant="other").id


def test_failure_then_retry_goes_back_to_provisioning_with_a_clean_slate() -> None:
    store = requested()
    store.start_provisioning(stamp=Stamp(SYSTEM, "c"))
    store.record_attempt_failed(
        step="release", reason="timeout", retry_at=datetime.now(UTC), stamp=Stamp(SYSTEM, "c"),
    )
    assert store.attempt == 1
    store.record_failed(step="release", reason="quota exceeded", retryable=False, stamp=Stamp(SYSTEM, "c"))
    assert store.status is StoreStatus.FAILED
    assert store.status_reason == "release: quota exceeded"
    store.request_retry(stamp=Stamp(ACTOR, "c-2"))
    assert (store.status, store.attempt, store.completed_steps) == (StoreStatus.PROVISIONING, 0, [])


def test_only_a_failed_store_can_be_retried() -> None:
    with pytest.raises(IllegalTransition, match="only a failed store can be retried"):
        provisioned().request_retry(stamp=Stamp(ACTOR, "c"))


def test_deletion_runs_from_any_live_state_to_deleted() -> None:
    store = provisioned()
    store.request_deletion(stamp=Stamp(ACTOR, "c"))
    assert store.status is StoreStatus.DELETING
    store.record_release_uninstalled(release="shop", stamp=Stamp(SYSTEM, "c"))
    store.record_deleted(stamp=Stamp(SYSTEM, "c"))
    assert store.status is StoreStatus.DELETED
    assert store.url is None


@pytest.mark.parametrize("command", ["delete", "retry"])
def test_commands_on_a_deleted_store_are_refused(command: str) -> None:
    store = requested()
    store.request_deletion(stamp=Stamp(ACTOR, "c"))
    store.record_deleted(stamp=Stamp(SYSTEM, "c"))
    run = store.request_deletion if command == "delete" else store.request_retry
    with pytest.raises(IllegalTransition, match="deleted"):
        run(stamp=Stamp(ACTOR, "c"))


def test_deleting_twice_says_deletion_is_under_way() -> None:
    store = requested()
    store.request_deletion(stamp=Stamp(ACTOR, "c"))
    with pytest.raises(IllegalTransition, match="already under way"):
        store.request_deletion(stamp=Stamp(ACTOR, "c"))


def test_outcomes_that_arrive_after_a_delete_request_are_refused() -> None:
    store = requested()
    store.start_provisioning(stamp=Stamp(SYSTEM, "c"))
    store.request_deletion(stamp=Stamp(ACTOR, "c"))
    with pytest.raises(IllegalTransition):
        store.record_ready(url="http://x", check="", stamp=Stamp(SYSTEM, "c"))


def test_drift_on_a_ready_store_sends_it_back_to_provisioning() -> None:
    store = provisioned()
    store.record_drift(drift="namespace removed", stamp=Stamp(SYSTEM, "c"))
    assert store.status is StoreStatus.PROVISIONING
    assert store.status_reason == "repairing drift: namespace removed"


def test_progress_notes_are_recorded_only_when_the_reason_changes() -> None:
    store = requested()
    store.request_deletion(stamp=Stamp(ACTOR, "c"))
    store.collect_events()
    for _ in range(3):
        store.note_progress(reason="namespace terminating: 3 resources left", stamp=Stamp(SYSTEM, "c"))
    assert len(store.collect_events()) == 1


def test_replaying_the_events_gives_the_same_store() -> None:
    store = provisioned()
    assert replayed(store) == store


def test_a_keyed_request_cannot_choose_or_predict_its_namespace() -> None:
    """The id of a keyed request follows from tenant and key (the caller's choice); the namespace
    must not, or a caller could aim a store at a namespace name of its choosing."""
    plans = PlanCatalog()
    first, second = (
        Store.request(
            name="shop", tenant="acme", engine="woocommerce", plan="small", idempotency_key="k-1",
            stamp=Stamp(ACTOR, "c-1"), plans=plans,
        )
        for _ in range(2)
    )
    assert first.id == second.id
    assert first.namespace != second.namespace
    assert first.id.hex[:16] not in first.namespace

