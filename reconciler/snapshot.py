"""The store as the reconciler decides on it: a frozen copy of the aggregate's current state.

Fed by the application service (the event-sourced aggregate, never the lagging read model, so a
decision is always taken on the latest version); feeds `decide` and the actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.store import ProvisioningStep, Store, StoreStatus


@dataclass(frozen=True)
class StoreSnapshot:
    id: UUID
    version: int
    name: str
    tenant: str
    engine: str
    plan: str
    namespace: str
    status: StoreStatus
    attempt: int
    retry_at: datetime | None
    completed_steps: frozenset[ProvisioningStep]
    # The correlation id of the latest event: the request (create, retry, delete) that caused the
    # work, since every outcome the reconciler records carries its cause's id on.
    correlation_id: str
    # What the user reads beside the status (e.g. why a READY store cannot be observed).
    status_reason: str = ""

    @classmethod
    def of(cls, store: Store) -> StoreSnapshot:
        return cls(
            id=store.id,
            version=store.version,
            name=store.name,
            tenant=store.tenant,
            engine=store.engine,
            plan=store.plan,
            namespace=store.namespace,
            status=store.status,
            attempt=store.attempt,
            retry_at=store.retry_at,
            completed_steps=frozenset(ProvisioningStep(s) for s in store.completed_steps),
            correlation_id=store.last_correlation_id,
            status_reason=store.status_reason,
        )

    def done(self, step: ProvisioningStep) -> bool:
        return step in self.completed_steps
