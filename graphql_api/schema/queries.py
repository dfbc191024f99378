"""Query resolvers: the caller, plans, tenants, stores (paged, filtered), one store, a store's past.

Fed by GraphQL queries; read the read model, or replay events through the service for `storeAt`.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from domain.catalog import Engine
from domain.store import LIVE_STATUSES, StoreStatus
from domain.text import check_optional_text
from graphql_api.context import ApiContext
from graphql_api.errors import invalid
from graphql_api.paging import decode_cursor, encode_cursor, page_size
from graphql_api.schema.fields import field
from graphql_api.schema.lookup import parse_store_id, visible_store
from graphql_api.schema.types import (
    Me,
    PageInfo,
    PlanNode,
    Quota,
    StoreConnection,
    StoreEdge,
    StoreEngineEnum,
    StoreNode,
    StoreStatusEnum,
    TenantSummary,
)
from graphql_api.tenants import tenant_counts
from projections.queries import StoreFilter

Ctx = Info[ApiContext, None]


@strawberry.type
class Query:
    @field("Who the token belongs to, and the tenant's quota usage.")
    async def me(self, info: Ctx) -> Me:
        caller = info.context.caller()
        quota = info.context.services.quota
        used = await quota.usage(caller.tenant)
        return Me(
            token_id=caller.token_id, tenant=caller.tenant, admin=caller.admin,
            quota=Quota(used=used, limit=quota.max_live_stores),
        )

    @field("The plans a store can be ordered in.")
    def plans(self, info: Ctx) -> list[PlanNode]:
        info.context.caller()
        return [PlanNode.from_plan(p) for p in info.context.services.plans.plans]

    @field("Every tenant with its store counts (admin only).")
    async def tenants(self, info: Ctx) -> list[TenantSummary]:
        info.context.admin("list tenants")
        services = info.context.services
        limit = services.quota.max_live_stores
        return [
            TenantSummary(
                name=t.name, live_stores=t.live_stores, stores=t.stores,
                quota=Quota(used=t.live_stores, limit=limit),
            )
            for t in await tenant_counts(services.read_model.pool)
        ]

    @field("The caller's stores (an admin's: everyone's), newest first.")
    async def stores(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        status: list[StoreStatusEnum] | None = None,  # type: ignore[valid-type]
        engine: StoreEngineEnum | None = None,  # type: ignore[valid-type]
        name_contains: str | None = None,
        tenant: str | None = None,
        live: bool | None = None,
    ) -> StoreConnection:
        caller = info.context.caller()
        check_optional_text("nameContains", name_contains)
        check_optional_text("tenant", tenant)
        check_optional_text("after", after)
        if tenant is not None and not caller.admin and tenant != caller.tenant:
            info.context.admin("list another tenant's stores")
        statuses = tuple(StoreStatus(s).value for s in status or ())
        if live:
            statuses = statuses or tuple(s.value for s in LIVE_STATUSES)
        where = StoreFilter(
            tenant=tenant if caller.admin else caller.tenant, statuses=statuses,
            engine=Engine(engine).value if engine else None, name_contains=name_contains,
        )
        return await _page(info.context, where, first, after)

    @field("One store, as it is now.")
    async def store(self, info: Ctx, id: strawberry.ID) -> StoreNode:
        return await visible_store(info.context, info.context.caller(), parse_store_id(id))

    @field(
        "The store as it was after event `version`, or at instant `at`, replayed from "
        "its events (not the read model)."
    )
    async def store_at(
        self, info: Ctx, id: strawberry.ID, version: int | None = None, at: datetime | None = None
    ) -> StoreNode:
        caller = info.context.caller()
        if version is None and at is None:
            raise invalid("version", "give a version, an instant (at), or both")
        if at is not None and at.tzinfo is None:
            raise invalid("at", "at must include a time zone, e.g. 2025-01-31T12:00:00Z")
        services = info.context.services
        store = await services.call(
            services.service.store_at, parse_store_id(id), version=version, at=at, tenant=caller.scope
        )
        return StoreNode.from_aggregate(store)


async def _page(
    context: ApiContext, where: StoreFilter, first: int | None, after: str | None
) -> StoreConnection:
    read_model = context.services.read_model
    size = page_size(first, context.services.config)
    rows = await read_model.stores(where, first=size + 1, after=decode_cursor(after))
    edges = [StoreEdge(cursor=encode_cursor(r), node=StoreNode.from_row(r)) for r in rows[:size]]
    return StoreConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=await read_model.count(where),
    )
