"""Finding one store for a caller: the read model first, the event store when the projection lags.

Used by queries, subscriptions and mutations; another tenant's store is "not found", exactly like a
store that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

from uuid import UUID

from graphql_api.caller import Caller
from graphql_api.context import ApiContext
from graphql_api.errors import invalid
from graphql_api.schema.types import StoreNode


def parse_store_id(value: str, field: str = "id") -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise invalid(field, f"{field} {value!r} is not a store id") from None


async def visible_store(context: ApiContext, caller: Caller, identifier: UUID) -> StoreNode:
    """The store as the caller may see it; raises StoreNotFound (NOT_FOUND) otherwise."""
    services = context.services
    row = await services.read_model.store(identifier, tenant=caller.scope)
    if row is not None:
        return StoreNode.from_row(row)
    # Just created and not projected yet: the event store is the truth, and says NOT_FOUND too.
    store = await services.call(services.service.get_store, identifier, tenant=caller.scope)
    return StoreNode.from_aggregate(store)
