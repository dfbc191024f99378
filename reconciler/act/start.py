"""Starting: a requested store becomes provisioning. Records only; the cluster is not touched."""

from __future__ import annotations

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Recorded


def start_provisioning() -> Recorded:
    def record(store: Store, stamp: Stamp) -> None:
        store.start_provisioning(stamp=stamp)

    return Recorded(record, "provisioning started")
