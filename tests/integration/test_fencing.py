"""The lease as a fencing token, on a real PostgreSQL: a holder whose lease was taken over cannot
record anything, an outcome decided on an older store version is refused, and the check is atomic
with the append (a competing claim waits for the append's transaction)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import psycopg
import pytest

from domain.actors import Stamp
from domain.errors import ConcurrentModification
from domain.service import StoreService
from domain.store import Store
from projections.runner import ProjectionRunner
from reconciler.fence import StaleLease
from reconciler.leases import Leases
from reconciler.records import StoreRecords
from reconciler.schema import LEASES
from reconciler.snapshot import StoreSnapshot

pytestmark = pytest.mark.asyncio(loop_scope="session")
TTL = timedelta(seconds=30)


def start(store: Store, stamp: Stamp) -> None:
    store.start_provisioning(stamp=stamp)


def note(store: Store, stamp: Stamp) -> None:
    store.note_progress(reason="stale news", stamp=stamp)


async def requested_store(service: StoreService, pool: asyncpg.Pool) -> Store:
    store = service.create_store(
        tenant="acme", name="shop", engine="woocommerce", plan="small", idempotency_key=None,
        stamp=Stamp("tenant:acme", "c-1"),
    )
    await ProjectionRunner(pool).catch_up()
    return store


async def expire(pool: asyncpg.Pool, store: Store) -> None:
    """What a long pause does to a lease: it runs out (the holder never renewed it)."""
    await pool.execute(f"UPDATE {LEASES} SET expires_at = now() - interval '1 second' WHERE store_id = $1",
                       store.id)


async def test_a_holder_whose_lease_was_taken_over_records_nothing(
    own_pool: asyncpg.Pool, own_service: StoreService
) -> None:
    store = await requested_store(own_service, own_pool)
    first, second = (Leases(own_pool, holder=h, ttl=TTL) for h in ("first", "second"))
    [claim] = await first.claim(1)
    await expire(own_pool, store)
    [taken_over] = await second.claim(1)
    assert taken_over.epoch == claim.epoch + 1
    records = StoreRecords(own_service, threads=1)
    snapshot = StoreSnapshot.of(own_service.get_store(store.id))
    try:
        with pytest.raises(StaleLease):
            await records.record(snapshot, start, fence=first.fence(claim))
        assert own_service.get_store(store.id).version == snapshot.version
        recorded = await records.record(snapshot, start, fence=second.fence(taken_over))
        assert recorded.version == snapshot.version + 1
    finally:
        records.close()


async def test_an_expired_lease_fences_even_before_anyone_else_claims(
    own_pool: asyncpg.Pool, own_service: StoreService
) -> None:
    store = await requested_store(own_service, own_pool)
    leases = Leases(own_pool, holder="sleeper", ttl=TTL)
    [claim] = await leases.claim(1)
    await expire(own_pool, store)
    records = StoreRecords(own_service, threads=1)
    try:
        with pytest.raises(StaleLease):
            await records.record(StoreSnapshot.of(store), start, fence=leases.fence(claim))
        with pytest.raises(StaleLease):
            await leases.fence(claim).confirm(own_pool)
    finally:
        records.close()
    assert own_service.get_store(store.id).version == store.version


async def test_an_outcome_decided_on_an_older_version_is_refused(
    own_pool: asyncpg.Pool, own_service: StoreService
) -> None:
    store = await requested_store(own_service, own_pool)
    decided_on = StoreSnapshot.of(own_service.get_store(store.id))
    own_service.delete_store(store.id, stamp=Stamp("tenant:acme", "c-2"))
    records = StoreRecords(own_service, threads=1)
    try:
        with pytest.raises(ConcurrentModification):
            await records.record(decided_on, note)
    finally:
        records.close()
    assert own_service.get_store(store.id).version == decided_on.version + 1


async def test_outcomes_are_recorded_on_the_store_as_loaded_without_reading_it_again(
    own_pool: asyncpg.Pool, own_service: StoreService, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await requested_store(own_service, own_pool)
    reads: list[object] = []
    read = own_service.get_store
    monkeypatch.setattr(own_service, "get_store", lambda *a, **k: reads.append(a) or read(*a, **k))
    records = StoreRecords(own_service, threads=1)
    try:
        loaded = await records.load(store.id)
        assert loaded is not None
        started = await records.record(loaded, start)
        noted = await records.record(started, note)
    finally:
        records.close()
    assert len(reads) == 1
    monkeypatch.undo()
    stored = own_service.get_store(store.id)
    assert stored.version == noted.version == loaded.version + 2
    assert stored.status_reason == noted.status_reason == "stale news"


async def test_an_outcome_on_the_store_as_loaded_is_refused_once_it_moved_on_and_the_next_reads_afresh(
    own_pool: asyncpg.Pool, own_service: StoreService
) -> None:
    store = await requested_store(own_service, own_pool)
    records = StoreRecords(own_service, threads=1)
    try:
        loaded = await records.load(store.id)
        assert loaded is not None
        own_service.delete_store(store.id, stamp=Stamp("tenant:acme", "c-2"))
        with pytest.raises(ConcurrentModification):  # the event store's version, not a second read
            await records.record(loaded, start)
        assert own_service.get_store(store.id).version == loaded.version + 1
        with pytest.raises(ConcurrentModification):  # the changed aggregate was not kept
            await records.record(loaded, start)
        reloaded = await records.load(store.id)
        assert reloaded is not None
        noted = await records.record(reloaded, note)
    finally:
        records.close()
    assert own_service.get_store(store.id).version == noted.version == loaded.version + 2


async def test_no_takeover_can_slip_between_the_fence_check_and_the_append(
    own_pool: asyncpg.Pool, own_service: StoreService, private_database_url: str
) -> None:
    """The fence keeps the lease row share-locked until the append's transaction ends, so a claim
    (an UPDATE of that row) cannot land between check and write. Shown with an append transaction
    stopped right after its fence check: the row cannot be changed until it ends."""
    store = await requested_store(own_service, own_pool)
    leases = Leases(own_pool, holder="first", ttl=TTL)
    [claim] = await leases.claim(1)
    with psycopg.connect(private_database_url) as conn, conn.cursor() as cursor:
        cursor.execute(*leases.fence(claim).statement())
        assert not await try_to_take(private_database_url, store)
        conn.rollback()
    assert await try_to_take(private_database_url, store)


async def try_to_take(url: str, store: Store) -> bool:
    """What a competing claim does to the row, without waiting on its lock."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET lock_timeout = '100ms'")
        await conn.execute(
            f"UPDATE {LEASES} SET holder = 'second', claims = claims + 1 WHERE store_id = $1",
            store.id,
        )
    except asyncpg.LockNotAvailableError:
        return False
    finally:
        await conn.close()
    return True


async def test_work_that_crashed_is_not_claimed_again_before_its_backoff(
    own_pool: asyncpg.Pool, own_service: StoreService
) -> None:
    """A crashed task knows no version of its own; handing the store back at version 0 made it
    claimable at once (a hot loop of crashes). It is handed back at the store's current version."""
    store = await requested_store(own_service, own_pool)
    leases = Leases(own_pool, holder="crashy", ttl=TTL)
    [claim] = await leases.claim(1)
    await leases.release(
        claim.store_id, version=None, not_before=datetime.now(UTC) + timedelta(hours=1), failures=1
    )
    assert await leases.claim(1) == []
    own_service.delete_store(store.id, stamp=Stamp("tenant:acme", "c-2"))
    await ProjectionRunner(own_pool).catch_up()
    assert [c.store_id for c in await leases.claim(1)] == [store.id], "a change still wakes it"


async def test_handing_back_a_lease_taken_over_leaves_it_to_the_new_holder(
    own_pool: asyncpg.Pool, own_service: StoreService
) -> None:
    """A holder that woke after another took over, and found nothing to do, says so (False) and
    neither releases nor forgets the new holder's lease."""
    store = await requested_store(own_service, own_pool)
    first, second = (Leases(own_pool, holder=h, ttl=TTL) for h in ("first", "second"))
    await first.claim(1)
    await expire(own_pool, store)
    await second.claim(1)
    assert not await first.release(store.id, version=None, not_before=None, failures=0)
    assert not await first.forget(store.id)
    holder = await own_pool.fetchval(f"SELECT holder FROM {LEASES} WHERE store_id = $1", store.id)
    assert holder == "second"
    assert await second.release(store.id, version=None, not_before=None, failures=0)
