"""The write side on a real PostgreSQL: readable JSON events, unique names, idempotent creates,
and optimistic concurrency that loses nothing."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest

from domain.actors import Stamp
from domain.errors import (
    AppendRefused,
    ConcurrentModification,
    DomainError,
    IdempotencyKeyReused,
    IllegalTransition,
    NameTaken,
    StoreNotFound,
)
from domain.fence import REFUSED_SQLSTATE
from domain.service import EVENTS_TABLE, StoreService
from domain.store import Store, StoreStatus
from graphql_api.quota import QUOTA_HOLDS, QuotaFence
from storeplane.database import open_service, setup_schema
from storeplane.event_store import APPEND_TRANSACTION_TIMEOUT_MS
from storeplane.local_postgres import LocalPostgres

T = TypeVar("T")
SYSTEM = "system:reconciler"


def create(service: StoreService, tenant: str, name: str = "shop", key: str | None = None) -> Store:
    return service.create_store(
        tenant=tenant, name=name, engine="woocommerce", plan="small", idempotency_key=key,
        stamp=Stamp(f"tenant:{tenant}/token:t", "corr-1"),
    )


def count_events(url: str, store: Store) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {EVENTS_TABLE} WHERE originator_id = %s", (store.id,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def all_at_once(count: int, work: Callable[[int], T]) -> list[T | DomainError]:
    """Runs `work` on `count` threads released together, collecting results and domain errors."""
    barrier = threading.Barrier(count)

    def run(i: int) -> T | DomainError:
        barrier.wait()
        try:
            return work(i)
        except DomainError as error:
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_events_are_stored_as_json_an_auditor_can_read(
    service: StoreService, database_url: str, tenant: str
) -> None:
    store = create(service, tenant)
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            f"SELECT topic, convert_from(state, 'UTF8') FROM {EVENTS_TABLE} "
            "WHERE originator_id = %s", (store.id,),
        ).fetchone()
    assert row is not None
    topic, text = row
    assert topic == "domain.store:Store.Requested"
    payload = json.loads(text)
    assert payload["name"] == "shop"
    assert payload["actor"] == f"tenant:{tenant}/token:t"
    assert payload["correlation_id"] == "corr-1"


def test_a_bad_request_appends_nothing(service: StoreService, database_url: str, tenant: str) -> None:
    with psycopg.connect(database_url) as conn:
        before = conn.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()
        with pytest.raises(DomainError):
            create(service, tenant, name="Not A DNS Name")
        after = conn.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()
    assert before == after


def test_a_name_is_unique_per_tenant_but_free_in_another(service: StoreService, tenant: str) -> None:
    create(service, tenant)
    with pytest.raises(NameTaken):
        create(service, tenant)
    create(service, f"{tenant}-other")


def test_fifty_concurrent_creates_of_one_name_make_exactly_one_store(
    service: StoreService, tenant: str
) -> None:
    outcomes = all_at_once(50, lambda _: create(service, tenant, name="race"))
    stores = [o for o in outcomes if isinstance(o, Store)]
    errors = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(stores) == 1
    assert all(isinstance(e, NameTaken) for e in errors)
    assert len(errors) == 49


def test_the_same_idempotency_key_returns_the_same_store_even_concurrently(
    service: StoreService, tenant: str
) -> None:
    outcomes = all_at_once(16, lambda _: create(service, tenant, name="keyed", key="k-1"))
    assert all(isinstance(o, Store) for o in outcomes)
    assert len({o.id for o in outcomes if isinstance(o, Store)}) == 1
    with pytest.raises(IdempotencyKeyReused):
        create(service, tenant, name="different", key="k-1")


def test_concurrent_commands_on_one_store_one_wins_the_other_gets_a_conflict(
    service: StoreService, database_url: str, tenant: str
) -> None:
    store = create(service, tenant)
    outcomes = all_at_once(8, lambda _: service.delete_store(store.id, stamp=Stamp("tenant:x", "c")))
    winners = [o for o in outcomes if isinstance(o, Store)]
    losers = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(winners) == 1
    assert all(isinstance(e, ConcurrentModification | IllegalTransition) for e in losers)
    assert count_events(database_url, store) == 2, "exactly one deletion was recorded"


def test_no_update_is_lost_when_commands_race(service: StoreService, tenant: str) -> None:
    """Each thread retries on conflict until its progress note is saved: all of them land."""
    store = create(service, tenant)
    service.change(store.id, lambda s: s.start_provisioning(stamp=Stamp(SYSTEM, "c")))

    def note(i: int) -> Store:
        while True:
            try:
                return service.change(
                    store.id, lambda s: s.note_progress(reason=f"note {i}", stamp=Stamp(SYSTEM, "c")))
            except ConcurrentModification:
                continue

    all_at_once(10, note)
    notes = [e for e in service.history(store.id) if isinstance(e, Store.ProgressNoted)]
    assert sorted(e.reason for e in notes) == sorted(f"note {i}" for i in range(10))


def test_other_tenants_cannot_touch_a_store(service: StoreService, tenant: str) -> None:
    store = create(service, tenant)
    with pytest.raises(StoreNotFound):
        service.delete_store(store.id, stamp=Stamp("tenant:b", "c"), tenant="b")


def test_deleting_frees_the_name_for_a_new_store(service: StoreService, tenant: str) -> None:
    store = create(service, tenant)
    service.delete_store(store.id, stamp=Stamp("tenant:x", "c"))
    with pytest.raises(NameTaken):
        create(service, tenant)
    service.finish_deletion(store.id, stamp=Stamp(SYSTEM, "c"))
    again = create(service, tenant)
    assert again.id != store.id
    assert service.get_store(store.id).status is StoreStatus.DELETED


def test_a_create_of_a_new_name_and_key_reads_no_events(
    service: StoreService, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The common create is one append: nothing is read before it (issue 17's write path). A
    repeat, a taken name and a reclaimed one still read, and still answer as before."""
    reads: list[object] = []
    select_events = service.recorder.select_events

    def counted(*args: object, **kwargs: object) -> object:
        reads.append(args)
        return select_events(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service.recorder, "select_events", counted)
    first = create(service, tenant, name="fresh", key="key-fresh")
    assert reads == []
    assert create(service, tenant, name="fresh", key="key-fresh").id == first.id
    assert reads, "a repeated key is told apart by reading the store it made"
    with pytest.raises(NameTaken):
        create(service, tenant, name="fresh")


class Revealed(AppendRefused):
    """What `Revealing` refuses with: the message its statement raised."""


@dataclass(frozen=True)
class Revealing:
    """A fence that refuses every append, with the value of an SQL expression read inside the
    append's own transaction as its message."""

    expression: str

    def statement(self) -> tuple[str, Sequence[object]]:
        return (f"DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '{REFUSED_SQLSTATE}', "
                f"MESSAGE = {self.expression}; END $$"), ()

    def refused(self, message: str) -> Revealed:
        return Revealed(message)


def test_an_append_bounds_its_own_transaction(
    service: StoreService, tenant: str, database_url: str
) -> None:
    """A process stopped in the middle of an append must not hold the fence's locks (the
    tenant's quota lock, the lease's row) until it wakes: the append's transaction carries
    `transaction_timeout`. A refused fence appends nothing."""
    with pytest.raises(Revealed) as refusal:
        service.create_store(
            tenant=tenant, name="bounded", engine="woocommerce", plan="small", idempotency_key=None,
            stamp=Stamp(f"tenant:{tenant}/token:t", "corr-1"),
            fence=Revealing("current_setting('transaction_timeout')"),
        )
    assert str(refusal.value) == f"{APPEND_TRANSACTION_TIMEOUT_MS // 1000}s"
    with psycopg.connect(database_url) as conn:
        stored = conn.execute(
            f"SELECT count(*) FROM {EVENTS_TABLE} WHERE convert_from(state, 'UTF8')::json ->> 'tenant' = %s",
            (tenant,),
        ).fetchone()
    assert stored == (0,)


def test_an_append_is_one_message_with_its_fence_lock_insert_and_commit(
    service: StoreService, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every append queues for the events table's EXCLUSIVE lock, so its holder must never wait
    for the client (a round trip, a thread waiting for the GIL), and nor may the fence's locks:
    the whole transaction, from BEGIN through the quota's check, the lock and the INSERT to the
    COMMIT, reaches the server as one message. Read from libpq's own trace of the append's
    connection."""
    trace = tmp_path / "libpq.trace"
    datastore = service.recorder.datastore  # type: ignore[attr-defined]
    borrow = datastore.get_connection

    @contextlib.contextmanager
    def traced() -> Iterator[psycopg.Connection[dict[str, object]]]:
        with borrow() as conn, trace.open("w") as trace_file:
            conn.pgconn.trace(trace_file.fileno())
            conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
            try:
                yield conn
            finally:
                conn.pgconn.untrace()

    monkeypatch.setattr(datastore, "get_connection", traced)
    service.create_store(
        tenant=tenant, name="traced", engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp(f"tenant:{tenant}/token:t", "corr-1"), fence=QuotaFence(tenant, 10),
    )
    sent = [line for line in trace.read_text().splitlines() if line.startswith("F\t")]
    assert len(sent) == 1, sent
    [message] = sent
    assert "\tQuery\t" in message, "one simple-protocol message, not a pipeline of several"
    order = ["BEGIN", QUOTA_HOLDS, "LOCK TABLE", "INSERT INTO", "COMMIT"]
    assert [message.index(part) for part in order] == sorted(message.index(part) for part in order), message


def test_a_pipeline_stopped_before_its_sync_is_ended_by_the_bound(database_url: str) -> None:
    """Why the bound is needed: such a backend is "active", not idle in transaction, and keeps its
    locks; `transaction_timeout` ends it (the server then drops the connection)."""
    with psycopg.connect(database_url, autocommit=True) as watcher, psycopg.connect(database_url) as paused:
        pid = paused.info.backend_pid
        alive: object = None
        try:
            with paused.pipeline():
                paused.execute("SET LOCAL transaction_timeout = 500")
                paused.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")
                for _ in range(100):  # the client "stops": it sends nothing more, and no Sync
                    alive = watcher.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)
                    ).fetchone()
                    if alive == (0,):
                        break
                    time.sleep(0.05)
        except psycopg.OperationalError:
            pass  # the server ended the session, as it must
        else:
            pytest.fail("the stopped pipeline's connection survived its transaction_timeout")
        assert alive == (0,), "the stopped pipeline's backend outlived its transaction_timeout"


def test_state_at_an_earlier_version_is_replayed_from_events(service: StoreService, tenant: str) -> None:
    store = create(service, tenant)
    service.delete_store(store.id, stamp=Stamp("tenant:x", "c"))
    assert service.store_at(store.id, version=1).status is StoreStatus.REQUESTED
    assert service.store_at(store.id).status is StoreStatus.DELETING
    first = next(iter(service.history(store.id)))
    assert service.store_at(store.id, at=first.timestamp).version == 1


def test_commands_succeed_right_after_a_database_restart(tmp_path: Path, tenant: str) -> None:
    """Every pooled connection dies with the server; the next command must not fail or hang on them."""
    server = LocalPostgres(tmp_path / "pg", durable=False)
    url = server.start()
    setup_schema(url)
    service = open_service(url)
    try:
        stores = all_at_once(40, lambda i: create(service, tenant, name=f"warm-{i}"))
        assert all(isinstance(s, Store) for s in stores), "40 writers filled the pool"
        server.stop()
        server.start()
        store = create(service, tenant, name="after-restart")
        service.delete_store(store.id, stamp=Stamp("tenant:x", "c"))
        assert service.get_store(store.id).status is StoreStatus.DELETING
    finally:
        service.close()
        server.stop()
