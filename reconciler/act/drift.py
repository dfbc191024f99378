"""Recording drift of a ready store (something removed or changed out of band); the store goes back
to provisioning, whose idempotent steps repair exactly what drifted."""

from __future__ import annotations

from domain.actors import Stamp
from domain.store import Store
from reconciler.act.outcomes import Recorded
from reconciler.decide.actions import RecordDrift


def record_drift(action: RecordDrift) -> Recorded:
    def record(store: Store, stamp: Stamp) -> None:
        store.record_drift(drift=action.drift, stamp=stamp)

    return Recorded(record, f"drift: {action.drift}")
