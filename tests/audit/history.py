"""A small, varied store history for the audit tests: creates, provisioning steps, credential
reveals, deletions."""

from __future__ import annotations

from typing import Any

from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store

SYSTEM = "system:reconciler"
OWNER_SECRET = {"admin-username": "admin", "admin-email": "admin@example.com", "admin-password": "pw"}


def step(service: StoreService, store: Store, command: str, **arguments: Any) -> None:
    """Applies one command method of the store through the service, as the reconciler would."""
    service.change(store.id, lambda s: getattr(s, command)(**arguments))


def make_history(service: StoreService, tenant: str, count: int) -> list[Store]:
    stores = []
    for i in range(count):
        corr = f"api-{i}"
        store = service.create_store(
            tenant=tenant, name=f"shop-{i}", engine="medusa" if i % 2 else "woocommerce",
            plan="small", idempotency_key=None, stamp=Stamp(f"tenant:{tenant}", corr),
        )
        step(service, store, "start_provisioning", stamp=Stamp(SYSTEM, corr))
        if i % 2 == 0:
            step(service, store, "record_ready", url=f"http://shop-{i}.{tenant}.stores.localhost",
                 check="GET / answered 200", stamp=Stamp(SYSTEM, corr))
            # The owner is shown its credentials: an event of history, not of state.
            service.reveal_credentials(
                store.id, secret=OWNER_SECRET, stamp=Stamp(f"tenant:{tenant}", f"reveal-{i}")
            )
        if i % 3 == 0:
            service.delete_store(store.id, stamp=Stamp(f"tenant:{tenant}", f"del-{i}"))
        stores.append(store)
    return stores


def bulk_history(
    service: StoreService, tenant: str, *, stores: int, events_per_store: int, per_save: int = 50
) -> int:
    """Many events fast: each store requested, started and noted many times, `per_save` per write.

    Saved without name reservations (the bulk names are unique anyway), so every event is a store
    event; returns how many events were appended.
    """
    appended = 0
    for start in range(0, stores, per_save):
        batch = []
        for i in range(start, min(stores, start + per_save)):
            store = Store.request(
                name=f"bulk-{i}", tenant=tenant, engine="medusa", plan="small", idempotency_key=None,
                stamp=Stamp("admin:bulk", f"bulk-{i}"), plans=service.plans,
            )
            store.start_provisioning(stamp=Stamp(SYSTEM, f"bulk-{i}"))
            for k in range(events_per_store - 2):
                store.note_progress(reason=f"waiting for pods ({k})", stamp=Stamp(SYSTEM, f"bulk-{i}"))
            batch.append(store)
        service.save(*batch)
        appended += len(batch) * events_per_store
    return appended
