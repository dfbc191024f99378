"""The reconciler's side of the application service: load a store, record an outcome.

Fed by the worker; feeds the event store through `StoreService` (synchronous, so each call runs in
a thread). Every record is stamped with the reconciler as actor and the causing request's
correlation id, checked against the version it was decided on and the lease it was decided under
(`reconciler.fence`); conflicts surface as the domain's `ConcurrentModification` /
`IllegalTransition`, a lost lease as `StaleLease`.
Its calls run on threads of its own, so a new store's first action never queues behind others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from uuid import UUID

from domain.actors import RECONCILER
from domain.errors import StoreNotFound
from domain.service import StoreService
from domain.store import Store
from reconciler.act.outcomes import Record, Stamp
from reconciler.fence import LeaseFence
from reconciler.snapshot import StoreSnapshot

T = TypeVar("T")


class StoreRecords:
    def __init__(self, service: StoreService, *, threads: int = 10) -> None:
        self.service = service
        # Threads of our own: queued behind other components' `to_thread` calls in the default
        # executor (a handful of threads on a small machine), a new store waited for its first action.
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="reconciler-records")

    async def _call(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, work)

    async def load(self, store_id: UUID) -> StoreSnapshot | None:
        try:
            store = await self._call(lambda: self.service.get_store(store_id))
        except StoreNotFound:
            return None
        return StoreSnapshot.of(store)

    async def record(
        self, snapshot: StoreSnapshot, record: Record, *, fence: LeaseFence | None = None
    ) -> StoreSnapshot:
        """Records an outcome decided on `snapshot`: refused (`ConcurrentModification`) if the store
        moved on since, and (`StaleLease`) if `fence` is no longer current — both checked in the
        append's own transaction."""
        stamp = _stamp(snapshot)

        def command(store: Store) -> None:
            record(store, stamp)

        store = await self._call(
            lambda: self.service.change(
                snapshot.id, command, expected_version=snapshot.version, fence=fence
            )
        )
        return StoreSnapshot.of(store)

    async def finish_deletion(
        self, snapshot: StoreSnapshot, *, fence: LeaseFence | None = None
    ) -> StoreSnapshot:
        stamp = _stamp(snapshot)
        store = await self._call(
            lambda: self.service.finish_deletion(
                snapshot.id, actor=stamp.actor, correlation_id=stamp.correlation_id,
                expected_version=snapshot.version, fence=fence,
            )
        )
        return StoreSnapshot.of(store)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def _stamp(snapshot: StoreSnapshot) -> Stamp:
    return Stamp(actor=RECONCILER, correlation_id=snapshot.correlation_id)
