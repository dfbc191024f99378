"""Starting: a requested store becomes provisioning. Records only; the cluster is not touched."""

from __future__ import annotations

from domain.store import Store
from reconciler.act.outcomes import Recorded, Stamp


def start_provisioning() -> Recorded:
    def record(store: Store, stamp: Stamp) -> None:
        store.start_provisioning(actor=stamp.actor, correlation_id=stamp.correlation_id)

    return Recorded(record, "provisioning started")
