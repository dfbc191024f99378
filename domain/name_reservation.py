"""Name reservations: one aggregate per (tenant, store name), so names stay unique under races.

The application service saves a reservation in the same atomic write as the store it names. The
reservation's id is derived from the name, so two concurrent creates of one name both try to write
the same aggregate version and the event store lets exactly one of them win.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import NameTaken

_RESERVATION_NAMESPACE = uuid5(NAMESPACE_URL, "storeplane:store-name")


def reservation_id(tenant: str, name: str) -> UUID:
    return uuid5(_RESERVATION_NAMESPACE, f"{tenant}/{name}")


class NameReservation(Aggregate):
    class Claimed(Aggregate.Created):
        tenant: str
        name: str
        store_id: UUID

    class Reclaimed(Aggregate.Event):
        store_id: UUID

    class Released(Aggregate.Event):
        store_id: UUID

    @staticmethod
    def create_id(tenant: str, name: str, **_: Any) -> UUID:
        return reservation_id(tenant, name)

    @event(Claimed)
    def __init__(self, *, tenant: str, name: str, store_id: UUID) -> None:
        self.tenant = tenant
        self.name = name
        self.holder: UUID | None = store_id

    def claim(self, store_id: UUID) -> None:
        if self.holder is not None and self.holder != store_id:
            raise NameTaken(self.tenant, self.name)
        if self.holder is None:
            self._reclaimed(store_id=store_id)

    def release(self, store_id: UUID) -> None:
        if self.holder == store_id:
            self._released(store_id=store_id)

    @event(Reclaimed)
    def _reclaimed(self, *, store_id: UUID) -> None:
        self.holder = store_id

    @event(Released)
    def _released(self, *, store_id: UUID) -> None:
        self.holder = None
