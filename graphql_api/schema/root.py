"""The root schema: the query, mutation and subscription types merged, with the API's limits.

Built once per app by `graphql_api.app`; the extensions enforce the size, cost, budget, depth and
alias limits and give every error its code.
"""

from __future__ import annotations

import functools
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graphql_api.config import ApiConfig
from graphql_api.context import ApiContext
from graphql_api.extensions import ErrorCodes, QueryGuard
from graphql_api.live.shared_results import SharedEventExecutor, SharedResults
from graphql_api.metrics import ApiMetrics
from graphql_api.schema.credentials import CredentialsMutation
from graphql_api.schema.mutations import Mutation
from graphql_api.schema.queries import Query
from graphql_api.schema.subscriptions import Subscription


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Client errors are expected and internal ones are logged by ErrorCodes, with context."""


def _visibility(context: ApiContext) -> str | None:
    """What decides which results a caller may see: its tenant (None for an admin, who sees all)."""
    caller = context.auth.caller
    return None if caller is None else caller.scope


def build_schema(
    config: ApiConfig, metrics: ApiMetrics, shared: SharedResults | None = None
) -> strawberry.Schema:
    # Factories, not instances: each operation gets extensions of its own.
    extensions: list[Any] = [
        functools.partial(QueryGuard, config=config),
        functools.partial(QueryDepthLimiter, max_depth=config.max_query_depth),
        functools.partial(MaxAliasesLimiter, max_alias_count=config.max_aliases),
        functools.partial(ErrorCodes, metrics=metrics),
    ]
    return _Schema(
        query=Query,
        mutation=merge_types("Mutation", (Mutation, CredentialsMutation)),
        subscription=Subscription,
        extensions=extensions,
        # Each subscription event is executed once for all the subscribers that see it alike.
        execution_context_class=SharedEventExecutor.sharing(shared or SharedResults(), _visibility),
    )
