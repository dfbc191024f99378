"""Mutation resolvers: create, delete and retry a store, each answering with the store it changed.

Fed by GraphQL mutations; after the rate limit (per tenant, shared by every API process) and, for
creates, the tenant's quota, each calls one `StoreService` method with the caller as actor. Bad
input appends no event: the service validates before it saves.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from domain.actors import Stamp
from domain.catalog import Engine
from domain.naming import check_new_tenant
from graphql_api.caller import Caller
from graphql_api.context import ApiContext
from graphql_api.errors import quota_exceeded
from graphql_api.quota import QuotaExceeded
from graphql_api.schema.fields import mutation
from graphql_api.schema.lookup import parse_store_id
from graphql_api.schema.types import StoreEngineEnum, StoreNode

Ctx = Info[ApiContext, None]


@strawberry.input
class CreateStoreInput:
    name: str
    engine: StoreEngineEnum  # type: ignore[valid-type]
    plan: str = "small"
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Repeat a request with the same key to get the same store instead of a second.",
    )
    tenant: str | None = strawberry.field(
        default=None, description="Admin only: the tenant to create the store for."
    )


@strawberry.type
class CreateStorePayload:
    store: StoreNode
    correlation_id: str


@strawberry.type
class DeleteStorePayload:
    store: StoreNode
    correlation_id: str


@strawberry.type
class RetryStorePayload:
    store: StoreNode
    correlation_id: str


def _tenant_for(context: ApiContext, caller: Caller, requested: str | None) -> str:
    """The tenant to create for, validated before anything reads by it (the quota counts by it)."""
    if requested is None or requested == caller.tenant:
        return check_new_tenant(caller.tenant)
    context.admin("create a store for another tenant")
    return check_new_tenant(requested)


async def _create(context: ApiContext, caller: Caller, data: CreateStoreInput) -> StoreNode:
    services = context.services
    tenant = _tenant_for(context, caller, data.tenant)

    try:
        store = await services.call(
            services.service.create_store, tenant=tenant, name=data.name,
            engine=Engine(data.engine).value, plan=data.plan, idempotency_key=data.idempotency_key,
            stamp=Stamp(caller.actor, context.correlation_id), fence=services.quota.fence(tenant),
        )
    except QuotaExceeded as error:
        raise quota_exceeded(error.tenant, error.used, error.limit) from None
    return StoreNode.from_aggregate(store)


@strawberry.type
class Mutation:
    @mutation("Orders a new store; it starts REQUESTED and is provisioned.")
    async def create_store(self, info: Ctx, input: CreateStoreInput) -> CreateStorePayload:
        caller = await info.context.mutating()
        store = await _create(info.context, caller, input)
        return CreateStorePayload(store=store, correlation_id=info.context.correlation_id)

    @mutation("Asks for a store to be deleted; it becomes DELETING.")
    async def delete_store(self, info: Ctx, id: strawberry.ID) -> DeleteStorePayload:
        caller = await info.context.mutating()
        services = info.context.services
        store = await services.call(
            services.service.delete_store, parse_store_id(id),
            stamp=Stamp(caller.actor, info.context.correlation_id), tenant=caller.scope,
        )
        return DeleteStorePayload(
            store=StoreNode.from_aggregate(store), correlation_id=info.context.correlation_id
        )

    @mutation("Provisions a FAILED store again from its first step.")
    async def retry_store(self, info: Ctx, id: strawberry.ID) -> RetryStorePayload:
        caller = await info.context.mutating()
        services = info.context.services
        store = await services.call(
            services.service.retry_store, parse_store_id(id),
            stamp=Stamp(caller.actor, info.context.correlation_id), tenant=caller.scope,
        )
        return RetryStorePayload(
            store=StoreNode.from_aggregate(store), correlation_id=info.context.correlation_id
        )
