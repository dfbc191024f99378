"""Marking a store ready, once its release is recorded and its workloads observed ready: the store
URL comes from its ingress host `<name>.<tenant>.<base-domain>`."""

from __future__ import annotations

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Recorded
from reconciler.context import StoreContext


def mark_ready(ctx: StoreContext) -> Recorded:
    url = ctx.url

    def record(store: Store, stamp: Stamp) -> None:
        store.record_ready(url=url, stamp=stamp)

    return Recorded(record, f"ready at {url}")
