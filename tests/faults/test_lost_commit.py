"""Fault scenario 5: the connection is cut after the server carried out a COMMIT, before its answer
arrived. Each command must report what it did — not a conflict with itself — and be recorded once.

The writer goes through `CommitCutter` (a TCP proxy that loses exactly the reply to a COMMIT); a
second service reads the event store directly to count what was written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store, StoreStatus
from storeplane.database import open_service
from tests.faults.pgproxy import CommitCutter

SYSTEM = "system:reconciler"
RUNS = 3


@pytest.fixture
def cutter(private_database_url: str) -> Iterator[CommitCutter]:
    with CommitCutter(private_database_url) as proxy:
        yield proxy


@pytest.fixture
def writer(cutter: CommitCutter) -> Iterator[StoreService]:
    service = open_service(cutter.url)
    yield service
    service.close()


@pytest.fixture
def reader(private_database_url: str) -> Iterator[StoreService]:
    service = open_service(private_database_url)
    yield service
    service.close()


def events_of(reader: StoreService, store: Store) -> list[str]:
    return [type(e).__name__ for e in reader.history(store.id)]


def create(service: StoreService, name: str) -> Store:
    return service.create_store(
        tenant="acme", name=name, engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp("tenant:acme", f"c-{name}"),
    )


@pytest.mark.parametrize("run", range(RUNS))
def test_an_unkeyed_create_whose_commit_reply_is_lost_returns_its_store(
    run: int, cutter: CommitCutter, writer: StoreService, reader: StoreService
) -> None:
    cutter.cut_after_next_commits(1)
    store = create(writer, f"shop-{run}")
    assert cutter.cuts == 1
    assert store.status is StoreStatus.REQUESTED
    assert events_of(reader, store) == ["Requested"]
    assert [s.id for s in [reader.get_store(store.id)]] == [store.id]


def test_a_delete_whose_commit_reply_is_lost_reports_the_deletion(
    cutter: CommitCutter, writer: StoreService, reader: StoreService
) -> None:
    store = create(writer, "doomed")
    cutter.cut_after_next_commits(1)
    deleted = writer.delete_store(store.id, stamp=Stamp("tenant:acme", "c-del"))
    assert cutter.cuts == 1
    assert deleted.status is StoreStatus.DELETING
    assert events_of(reader, store) == ["Requested", "DeletionRequested"]


def test_a_failure_whose_commit_reply_is_lost_is_recorded_once(
    cutter: CommitCutter, writer: StoreService, reader: StoreService
) -> None:
    store = create(writer, "flaky")
    writer.change(store.id, lambda s: s.start_provisioning(stamp=Stamp(SYSTEM, "c")))
    cutter.cut_after_next_commits(1)
    failed = writer.change(
        store.id,
        lambda s: s.record_attempt_failed(
            step="release", reason="helm timed out", retry_at=datetime.now(UTC), stamp=Stamp(SYSTEM, "c"),
        ),
        expected_version=2,
    )
    assert cutter.cuts == 1
    assert failed.attempt == 1
    assert events_of(reader, store) == ["Requested", "ProvisioningStarted", "AttemptFailed"]
    assert reader.get_store(store.id).attempt == 1
