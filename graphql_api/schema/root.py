"""The root schema: the query, mutation and subscription types merged, with the API's limits.

Built once per app by `graphql_api.app`; the extensions enforce the depth and alias limits and give
every error its code.
"""

from __future__ import annotations

import functools
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.types import ExecutionContext

from graphql_api.config import ApiConfig
from graphql_api.extensions import ErrorCodes
from graphql_api.metrics import ApiMetrics
from graphql_api.schema.mutations import Mutation
from graphql_api.schema.queries import Query
from graphql_api.schema.subscriptions import Subscription


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Client errors are expected and internal ones are logged by ErrorCodes, with context."""


def build_schema(config: ApiConfig, metrics: ApiMetrics) -> strawberry.Schema:
    # Factories, not instances: each operation gets extensions of its own.
    extensions: list[Any] = [
        functools.partial(QueryDepthLimiter, max_depth=config.max_query_depth),
        functools.partial(MaxAliasesLimiter, max_alias_count=config.max_aliases),
        functools.partial(ErrorCodes, metrics=metrics),
    ]
    return _Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
    )
