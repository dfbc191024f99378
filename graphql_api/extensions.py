"""Schema extensions: every error gets a code from the fixed set, every operation is counted, and
no operation costs more than the limits allow.

`ErrorCodes` runs on each result (including each subscription message): our `ApiError`s pass
through; domain errors get their `.code` (and `field`); errors of the document itself (syntax,
unknown fields, depth) are VALIDATION_FAILED; anything else is logged here with its traceback and
reaches the client as INTERNAL with a generic message.

`QueryGuard` runs before each operation: the document's size limits (admission.py, again for
websockets, whose documents do not pass the HTTP door), then, on the parsed document, the
transport (a GET may only query; subscriptions only over websockets), introspection (authenticated
callers only, and not at all when switched off) and the cost limit (cost.py); and just before
execution it charges the cost to the tenant's query budget, shared by every API process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from starlette.requests import Request
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType

from domain.errors import DomainError
from graphql_api.admission import DocumentLimits, check_document, check_values
from graphql_api.config import ApiConfig
from graphql_api.cost import CostModel, introspects, operation_cost
from graphql_api.errors import CODES, ApiError, Code, from_domain, invalid, rate_limited, unauthenticated
from graphql_api.metrics import ApiMetrics
from graphql_api.ratelimit import Limit
from postgres.errors import DATABASE_ERRORS

log = logging.getLogger(__name__)


def _located(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message, nodes=error.nodes, source=error.source, positions=error.positions,
        path=error.path, extensions=extensions,
    )


def coded(error: GraphQLError) -> GraphQLError:
    """The error as a client may see it: with a known code, and no internals."""
    if error.extensions and error.extensions.get("code") in CODES:
        return error
    original = error.original_error
    if isinstance(original, DomainError):
        translated = from_domain(original)
        return _located(error, translated.message, dict(translated.extensions or {}))
    if original is None:
        return _located(error, error.message, {"code": Code.VALIDATION_FAILED.value, "field": "query"})
    if error.path is None and isinstance(original, (GraphQLError, ValueError, TypeError)):
        # Not a resolver's error (those have a path): a variable that does not coerce to its type.
        return _located(error, error.message, {"code": Code.VALIDATION_FAILED.value, "field": "variables"})
    log.error("internal error at %s", error.path, exc_info=original)
    return _located(error, "internal error; it has been logged", {"code": Code.INTERNAL.value})


def recode(result: object, metrics: ApiMetrics) -> None:
    """Gives each error of `result` its code (in place), counting it; also for results pushed directly."""
    errors = getattr(result, "errors", None)
    if not errors:
        return
    recoded = [coded(e) for e in errors]
    for error in recoded:
        metrics.errors.labels(str((error.extensions or {}).get("code"))).inc()
    result.errors = recoded  # type: ignore[attr-defined]


class ErrorCodes(SchemaExtension):
    def __init__(self, *, metrics: ApiMetrics) -> None:
        self.metrics = metrics
        self._streamed = False

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        started = time.perf_counter()
        yield
        kind = self._kind()
        self.metrics.operations.labels(kind).inc()
        if kind != "subscription":
            self.metrics.duration.labels(kind).observe(time.perf_counter() - started)
        result = self.execution_context.result
        if not self._streamed and isinstance(result, (GraphQLExecutionResult, ExecutionResult)):
            recode(result, self.metrics)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self._streamed = True
        recode(result, self.metrics)
        yield None

    def _kind(self) -> str:
        try:
            return self.execution_context.operation_type.value
        except RuntimeError:  # the document did not parse, or names no operation
            return "invalid"


def document_limits(config: ApiConfig) -> DocumentLimits:
    return DocumentLimits(
        max_tokens=config.max_query_tokens, max_aliases=config.max_aliases,
        max_nesting=config.max_query_nesting,
    )


class QueryGuard(SchemaExtension):
    def __init__(self, *, config: ApiConfig) -> None:
        self.config = config
        self.limits = document_limits(config)
        self.model = CostModel(max_page=config.max_page_size)
        self.budget = Limit(config.query_budget_rate, float(config.query_budget))
        self.cost = 0

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query is not None and self.execution_context.graphql_document is None:
            refusal = check_document(query, self.limits)
            if refusal is not None:
                raise refusal  # before the parser sees it; becomes this operation's only error
        yield

    def on_validate(self) -> Iterator[None]:
        # Runs before validation proper: setting the errors here skips it (and execution).
        refusal = self._refusal()
        if refusal is not None:
            self.execution_context.pre_execution_errors = [refusal]
        yield

    def _refusal(self) -> ApiError | None:
        context = self.execution_context
        document = context.graphql_document
        if document is None:
            return None
        unstorable = check_values(context.variables)  # again for websockets, which skip the door
        if unstorable is not None:
            return unstorable
        try:
            kind = context.operation_type
        except RuntimeError:
            return None  # no such operation: validation says so
        request = getattr(context.context, "request", None)
        if isinstance(request, Request):  # HTTP (websocket requests are not `Request`s)
            if request.method == "GET" and kind != OperationType.QUERY:
                return invalid("query", "a GET may only carry a query; send mutations with POST")
            if kind == OperationType.SUBSCRIPTION:
                return invalid("query", "subscriptions are served over websockets only")
        if introspects(document):
            if not self.config.introspection:
                return invalid("query", "introspection is switched off on this server")
            if getattr(getattr(context.context, "auth", None), "caller", None) is None:
                return unauthenticated("introspection needs a bearer token")
        self.cost = operation_cost(document, context.operation_name, context.variables, self.model)
        if self.cost > self.config.max_query_cost:
            return invalid(
                "query",
                f"the operation may resolve {self.cost} fields; the limit is "
                f"{self.config.max_query_cost} (ask for smaller pages)",
                cost=self.cost, limit=self.config.max_query_cost,
            )
        return None

    async def on_execute(self) -> AsyncIterator[None]:
        refusal = await self._over_budget()
        if refusal is not None:
            # A result set before execution is returned as it is: the resolvers never run.
            self.execution_context.result = GraphQLExecutionResult(data=None, errors=[refusal])
        yield

    async def _over_budget(self) -> ApiError | None:
        context = self.execution_context
        api = context.context
        caller = getattr(getattr(api, "auth", None), "caller", None)
        if caller is None or self.cost <= 0:
            return None  # nothing to charge: an anonymous operation fails in its resolvers
        if context.operation_type == OperationType.SUBSCRIPTION:
            return None  # charged per websocket by the socket caps, not per pushed result
        try:
            wait = await api.services.limiter.take(f"queries:{caller.rate_key}", self.budget, self.cost)
        except DATABASE_ERRORS:
            log.warning("could not charge a query budget", exc_info=True)
            return ApiError(Code.INTERNAL, "the database is unavailable; try again")
        return None if wait <= 0 else rate_limited(wait, "the tenant's query budget is spent")
