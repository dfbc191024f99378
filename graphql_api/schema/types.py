"""The GraphQL object types: stores, their events, plans, the caller, and pages of stores.

Built from read-model rows (`StoreRow`, `FeedRow`) or from the aggregate the service returns (after a
command, or a replay for `storeAt`), so a client sees the same shape whichever answered.
"""

from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.catalog import Engine, Plan
from domain.credentials import StoreLinks, links_for
from domain.store import ProvisioningStep, Store, StoreStatus
from domain.timings import StepTime, provisioning_times
from graphql_api.context import ApiContext
from graphql_api.paging import page_size
from graphql_api.schema.fields import field
from projections.event_feed import FeedRow
from projections.store_view import StoreRow

StoreStatusEnum = strawberry.enum(
    StoreStatus, name="StoreStatus", description="Where a store is in its life."
)
StoreEngineEnum = strawberry.enum(
    Engine, name="StoreEngine", description="The e-commerce software a store runs."
)


@strawberry.type(description="One provisioning step, for a stepper: done, or the one in progress.")
class ProvisioningStepState:
    name: str
    done: bool
    current: bool


@strawberry.type(description="One event in a store's history; `sequence` orders all events globally.")
class StoreEvent:
    sequence: int
    store_id: strawberry.ID
    version: int
    type: str
    occurred_at: datetime
    actor: str
    correlation_id: str
    data: JSON

    @classmethod
    def from_row(cls, row: FeedRow) -> StoreEvent:
        return cls(
            sequence=row.sequence, store_id=strawberry.ID(str(row.store_id)), version=row.version,
            type=row.type, occurred_at=row.occurred_at, actor=row.actor,
            correlation_id=row.correlation_id, data=json.loads(row.data),
        )


@strawberry.type(name="ProvisioningTime", description=(
    "One step of the store's latest attempt, from the request (or retry) that began it: when the "
    "reconciler recorded it and how long it took."
))
class ProvisioningTimeNode:
    step: str = strawberry.field(description="The event that marks the step done, e.g. BecameReady.")
    at: datetime
    seconds: float = strawberry.field(description="Since the previous step (or the request).")
    since_start_seconds: float = strawberry.field(description="Since the request or retry.")

    @classmethod
    def from_step(cls, step: StepTime) -> ProvisioningTimeNode:
        return cls(step=step.step, at=step.at, seconds=step.took.total_seconds(),
                   since_start_seconds=step.since_start.total_seconds())


def _steps(status: StoreStatus, completed: tuple[str, ...]) -> list[ProvisioningStepState]:
    in_progress = status in (StoreStatus.REQUESTED, StoreStatus.PROVISIONING)
    current = next((s.value for s in ProvisioningStep if s.value not in completed), None)
    return [
        ProvisioningStepState(
            name=step.value, done=step.value in completed, current=in_progress and step.value == current
        )
        for step in ProvisioningStep
    ]


@strawberry.type(name="Store", description="A store as the read model (or a replay) knows it.")
class StoreNode:
    id: strawberry.ID
    name: str
    engine: StoreEngineEnum  # type: ignore[valid-type]
    plan: str
    status: StoreStatusEnum  # type: ignore[valid-type]
    status_reason: str
    url: str | None
    namespace: str
    tenant: str
    version: int
    attempt: int
    retry_at: datetime | None
    created_at: datetime
    updated_at: datetime
    completed_steps: strawberry.Private[tuple[str, ...]]

    def _links(self) -> StoreLinks | None:
        return links_for(Engine(self.engine).value, self.url)

    @field("Where shoppers go: the store's home page; null while the store has no URL.")
    def storefront_url(self) -> str | None:
        links = self._links()
        return links.storefront_url if links else None

    @field("The engine's admin (WordPress: wp-admin/, Medusa: app/); null while the store has no URL.")
    def admin_url(self) -> str | None:
        links = self._links()
        return links.admin_url if links else None

    @field("The provisioning steps, in order, with what is done and what is next.")
    def steps(self) -> list[ProvisioningStepState]:
        return _steps(StoreStatus(self.status), self.completed_steps)

    @field("How long each step of the latest attempt took, from createStore (or retryStore) to "
           "READY or the final failure; the steps so far while it is still provisioning.")
    async def provisioning_times(self, info: Info[ApiContext, None]) -> list[ProvisioningTimeNode]:
        events = await info.context.loaders.latest_attempts.load(UUID(self.id))
        return [ProvisioningTimeNode.from_step(step) for step in provisioning_times(events)]

    @field("This store's events, oldest first, after the sequence `after`.")
    async def events(
        self, info: Info[ApiContext, None], first: int = 50, after: int = 0
    ) -> list[StoreEvent]:
        limit = page_size(first, info.context.services.config)
        rows = await info.context.loaders.events.load((UUID(self.id), after, limit))
        return [StoreEvent.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: StoreRow) -> StoreNode:
        return cls(
            id=strawberry.ID(str(row.id)), name=row.name, engine=Engine(row.engine), plan=row.plan,
            status=StoreStatus(row.status), status_reason=row.status_reason, url=row.url,
            namespace=row.namespace, tenant=row.tenant, version=row.version, attempt=row.attempt,
            retry_at=row.retry_at, created_at=row.created_at, updated_at=row.updated_at,
            completed_steps=row.completed_steps,
        )

    @classmethod
    def from_aggregate(cls, store: Store) -> StoreNode:
        return cls(
            id=strawberry.ID(str(store.id)), name=store.name, engine=Engine(store.engine),
            plan=store.plan, status=store.status, status_reason=store.status_reason, url=store.url,
            namespace=store.namespace, tenant=store.tenant, version=store.version,
            attempt=store.attempt, retry_at=store.retry_at, created_at=store.created_on,
            updated_at=store.modified_on, completed_steps=tuple(store.completed_steps),
        )


@strawberry.type
class StoreEdge:
    cursor: str
    node: StoreNode


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of stores, newest first (Relay connection).")
class StoreConnection:
    edges: list[StoreEdge]
    page_info: PageInfo
    total_count: int

    @field("The stores of this page, without their cursors.")
    def nodes(self) -> list[StoreNode]:
        return [edge.node for edge in self.edges]


@strawberry.type(name="Plan", description="A size a store can be ordered in.")
class PlanNode:
    name: str
    cpu_limit: str
    memory_limit: str
    cpu_request: str
    memory_request: str
    storage: str
    max_pods: int
    max_pvcs: int

    @classmethod
    def from_plan(cls, plan: Plan) -> PlanNode:
        return cls(
            name=plan.name, cpu_limit=plan.cpu_limit, memory_limit=plan.memory_limit,
            cpu_request=plan.cpu_request, memory_request=plan.memory_request, storage=plan.storage,
            max_pods=plan.max_pods, max_pvcs=plan.max_pvcs,
        )


@strawberry.type(description="How many live stores a tenant has, and may have.")
class Quota:
    used: int
    limit: int

    @strawberry.field
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@strawberry.type(description="The caller: whose token this is.")
class Me:
    token_id: str
    tenant: str
    admin: bool
    quota: Quota


@strawberry.type(description="A tenant, as an admin sees it.")
class TenantSummary:
    name: str
    live_stores: int
    stores: int
    quota: Quota
