"""The `revealStoreCredentials` mutation: the owner's way into its store's admin.

Fed by GraphQL; after the mutation rate limit, calls the reveal use case (`graphql_api.credentials`)
with the caller's tenant as scope, so another tenant's store is NOT_FOUND and nothing is recorded.
Kept apart from the other mutations: its answer is a secret, never a store.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from domain.actors import Stamp
from graphql_api.context import ApiContext
from graphql_api.credentials import reveal_credentials
from graphql_api.errors import ApiError, Code
from graphql_api.schema.fields import mutation
from graphql_api.schema.lookup import parse_store_id

Ctx = Info[ApiContext, None]


@strawberry.type(description="How the owner signs in to a store's admin. Shown once per request; "
                             "each reveal is recorded (without the values) in the store's history.")
class StoreCredentialsPayload:
    admin_url: str
    admin_username: str = strawberry.field(
        description="WooCommerce: the WordPress user name; Medusa: the admin user's email "
        "(POST /auth/user/emailpass)."
    )
    admin_password: str
    publishable_key: str | None = strawberry.field(
        description="Medusa's publishable API key for its Store API, once the seed wrote it; "
        "null for WooCommerce."
    )
    correlation_id: str


@strawberry.type
class CredentialsMutation:
    @mutation("Reveals a READY store's admin credentials to its tenant or an admin, and records that.")
    async def reveal_store_credentials(self, info: Ctx, id: strawberry.ID) -> StoreCredentialsPayload:
        caller = await info.context.mutating()
        services = info.context.services
        store_id = parse_store_id(id)
        if services.credentials is None:
            raise ApiError(Code.INTERNAL, "this API server has no cluster access to read credentials")
        revealed = await reveal_credentials(
            service=services.service, source=services.credentials, run=services.call,
            store_id=store_id, stamp=Stamp(caller.actor, info.context.correlation_id),
            tenant=caller.scope,
        )
        return StoreCredentialsPayload(
            admin_url=revealed.admin_url, admin_username=revealed.admin_username,
            admin_password=revealed.admin_password, publishable_key=revealed.publishable_key,
            correlation_id=info.context.correlation_id,
        )
