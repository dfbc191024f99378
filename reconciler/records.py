"""The reconciler's side of the application service: load a store, record an outcome.

Fed by the worker; feeds the event store through `StoreService` (synchronous, so each call runs in
a thread). Every record is stamped with the reconciler as actor and the causing request's
correlation id; conflicts surface as the domain's `ConcurrentModification` / `IllegalTransition`.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from domain.actors import RECONCILER
from domain.errors import StoreNotFound
from domain.service import StoreService
from domain.store import Store
from reconciler.outcomes import Record, Stamp
from reconciler.snapshot import StoreSnapshot


class StoreRecords:
    def __init__(self, service: StoreService) -> None:
        self.service = service

    async def load(self, store_id: UUID) -> StoreSnapshot | None:
        try:
            store = await asyncio.to_thread(self.service.get_store, store_id)
        except StoreNotFound:
            return None
        return StoreSnapshot.of(store)

    async def record(self, snapshot: StoreSnapshot, record: Record) -> StoreSnapshot:
        stamp = _stamp(snapshot)

        def command(store: Store) -> None:
            record(store, stamp)

        store = await asyncio.to_thread(self.service.change, snapshot.id, command)
        return StoreSnapshot.of(store)

    async def finish_deletion(self, snapshot: StoreSnapshot) -> StoreSnapshot:
        stamp = _stamp(snapshot)
        store = await asyncio.to_thread(
            lambda: self.service.finish_deletion(
                snapshot.id, actor=stamp.actor, correlation_id=stamp.correlation_id
            )
        )
        return StoreSnapshot.of(store)


def _stamp(snapshot: StoreSnapshot) -> Stamp:
    return Stamp(actor=RECONCILER, correlation_id=snapshot.correlation_id)
