"""The reconciler's side of the application service: load a store, record an outcome.

Fed by the worker; feeds the event store through `StoreService` (synchronous, so each call runs in
a thread). Every record is stamped with the reconciler as actor and the causing request's
correlation id, checked against the version it was decided on and the lease it was decided under
(`reconciler.fence`); conflicts surface as the domain's `ConcurrentModification` /
`IllegalTransition`, a lost lease as `StaleLease`.
Its calls run on threads of its own, so a new store's first action never queues behind others.

It keeps the aggregate each store in work was last read or saved as, and records the next outcome
on it: the event store refuses an append at a version already taken, so reading the store again
before each outcome (a query and a replay, on every step of every store) proves nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from domain.actors import RECONCILER, Stamp
from domain.errors import StoreNotFound
from domain.service import StoreService
from domain.store import Store
from postgres.threads import Threads
from reconciler.act.outcomes import Record
from reconciler.fence import LeaseFence
from reconciler.snapshot import StoreSnapshot

T = TypeVar("T")


class StoreRecords:
    def __init__(self, service: StoreService, *, threads: int = 10) -> None:
        self.service = service
        # A lane of our own: queued behind other components' calls in a shared pool (a handful of
        # threads on a small machine), a new store waited for its first action.
        self.threads = Threads(threads)
        # Store id → the aggregate as of the last snapshot handed out for it. Only the event loop
        # touches the dict; an aggregate is lent to one thread at a time (one worker per store).
        self._as_read: dict[UUID, Store] = {}

    async def _call(self, work: Callable[[], T]) -> T:
        return await self.threads.run(work)

    async def load(self, store_id: UUID) -> StoreSnapshot | None:
        try:
            store = await self._call(lambda: self.service.get_store(store_id))
        except StoreNotFound:
            self._as_read.pop(store_id, None)
            return None
        return self._handed_out(store)

    async def record(
        self, snapshot: StoreSnapshot, record: Record, *, fence: LeaseFence | None = None
    ) -> StoreSnapshot:
        """Records an outcome decided on `snapshot`: refused (`ConcurrentModification`) if the store
        moved on since, and (`StaleLease`) if `fence` is no longer current — both checked in the
        append's own transaction."""
        stamp = _stamp(snapshot)
        # Taken out: the command changes it, and if the append fails it matches no stored version.
        as_read = self._as_read.pop(snapshot.id, None)

        def command(store: Store) -> None:
            record(store, stamp)

        store = await self._call(
            lambda: self.service.change(
                snapshot.id, command, expected_version=snapshot.version, fence=fence, as_read=as_read
            )
        )
        return self._handed_out(store)

    async def finish_deletion(
        self, snapshot: StoreSnapshot, *, fence: LeaseFence | None = None
    ) -> StoreSnapshot:
        stamp = _stamp(snapshot)
        self._as_read.pop(snapshot.id, None)
        store = await self._call(
            lambda: self.service.finish_deletion(
                snapshot.id, stamp=stamp,
                expected_version=snapshot.version, fence=fence,
            )
        )
        return StoreSnapshot.of(store)

    def done_with(self, store_id: UUID) -> None:
        """Forgets the store's aggregate: its work ended, and the next starts from a fresh read."""
        self._as_read.pop(store_id, None)

    def _handed_out(self, store: Store) -> StoreSnapshot:
        self._as_read[store.id] = store
        return StoreSnapshot.of(store)

    def close(self) -> None:
        """Nothing to release: the lane owns no threads (kept for callers that close their parts)."""


def _stamp(snapshot: StoreSnapshot) -> Stamp:
    return Stamp(RECONCILER, snapshot.correlation_id)
