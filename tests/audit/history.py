"""A small, varied store history for the audit tests: creates, provisioning steps, deletions."""

from __future__ import annotations

from typing import Any

from domain.service import StoreService
from domain.store import Store

SYSTEM = "system:reconciler"


def step(service: StoreService, store: Store, command: str, **arguments: Any) -> None:
    """Applies one command method of the store through the service, as the reconciler would."""
    service.change(store.id, lambda s: getattr(s, command)(**arguments))


def make_history(service: StoreService, tenant: str, count: int) -> list[Store]:
    stores = []
    for i in range(count):
        corr = f"api-{i}"
        store = service.create_store(
            tenant=tenant, name=f"shop-{i}", engine="medusa" if i % 2 else "woocommerce",
            plan="small", idempotency_key=None, actor=f"tenant:{tenant}", correlation_id=corr,
        )
        step(service, store, "start_provisioning", actor=SYSTEM, correlation_id=corr)
        if i % 2 == 0:
            step(service, store, "record_ready", url=f"http://shop-{i}.{tenant}.stores.localhost",
                 actor=SYSTEM, correlation_id=corr)
        if i % 3 == 0:
            service.delete_store(store.id, actor=f"tenant:{tenant}", correlation_id=f"del-{i}")
        stores.append(store)
    return stores
