"""Events stored by earlier versions stay readable: their topics and payloads replay into a Store.

`data/stored_events_2026_11.json` holds a whole lifecycle exactly as the event store kept it in
November 2026 (topic `domain.store:Store.*`, the JSON state eventsourcing wrote). Moving or renaming
a domain class or an event attribute breaks this test before it breaks a production database.
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

from domain.store import Store, StoreStatus
from projections.decoding import EventDecoder

STORED = Path(__file__).parent / "data" / "stored_events_2026_11.json"


def _replayed() -> tuple[Store, list[Store.Event]]:
    decoder = EventDecoder()
    events: list[Store.Event] = []
    store: Store | None = None
    for row in json.loads(STORED.read_text()):
        event = decoder.decode(
            UUID(row["originator_id"]), row["originator_version"], row["topic"], row["state"].encode()
        )
        assert isinstance(event, Store.Event)
        events.append(event)
        store = event.mutate(store)
    assert store is not None
    return store, events


def test_every_stored_topic_still_names_a_store_event() -> None:
    _, events = _replayed()
    assert [type(e).__name__ for e in events] == [
        "Requested", "ProvisioningStarted", "NamespaceReady", "GuardrailsApplied", "CredentialsIssued",
        "AttemptFailed", "ReleaseInstalled", "BecameReady", "DriftDetected", "DeletionRequested",
        "ReleaseUninstalled", "Deleted",
    ]


def test_a_stored_lifecycle_replays_to_the_state_it_recorded() -> None:
    store, events = _replayed()
    assert store.status is StoreStatus.DELETED
    assert (store.name, store.tenant, store.engine, store.plan) == ("shop", "acme", "woocommerce", "small")
    assert store.version == len(events)
    assert store.last_actor == "system:reconciler"
    assert store.last_correlation_id == "c-3"
    assert events[0].actor == "tenant:acme/token:t1"


def test_a_ready_event_stored_before_the_serving_check_reads_as_unchecked() -> None:
    """November's BecameReady has no `check`: it replays, and reads as "" (not checked)."""
    _, events = _replayed()
    [ready] = [e for e in events if isinstance(e, Store.BecameReady)]
    assert "check" not in vars(ready)
    assert ready.check == ""
