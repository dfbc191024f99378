"""The root schema: the query, mutation and subscription types merged, with the API's limits.

Built once per app by `graphql_api.app`; the extensions enforce the size, cost, budget, depth and
alias limits and give every error its code.
"""

from __future__ import annotations

import functools
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, ValidationCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graphql_api.config import ApiConfig
from graphql_api.context import ApiContext
from graphql_api.document_cache import DOCUMENT_CACHE_SIZE, ReportingParserCache, limit_rules
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
    # Factories, not instances: each operation gets extensions of its own. The order matters:
    # the cached validation first, so QueryGuard's refusal (set in its own `on_validate`) replaces
    # the validation errors rather than being replaced by them, as it did when it skipped
    # validation; the parser cache after QueryGuard, whose size check must see the raw text first
    # (`graphql_api.document_cache`).
    extensions: list[Any] = [
        functools.partial(ValidationCache, maxsize=DOCUMENT_CACHE_SIZE),
        functools.partial(QueryGuard, config=config),
        functools.partial(ReportingParserCache, maxsize=DOCUMENT_CACHE_SIZE),
        functools.partial(AddValidationRules, limit_rules(config)),
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
