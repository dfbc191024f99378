"""Schema extensions: every error gets a code from the fixed set, and every operation is counted.

`ErrorCodes` runs on each result (including each subscription message): our `ApiError`s pass
through; domain errors get their `.code` (and `field`); errors of the document itself (syntax,
unknown fields, depth) are VALIDATION_FAILED; anything else is logged here with its traceback and
reaches the client as INTERNAL with a generic message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from domain.errors import DomainError
from graphql_api.errors import CODES, Code, from_domain
from graphql_api.metrics import ApiMetrics

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
    log.error("internal error at %s", error.path, exc_info=original)
    return _located(error, "internal error; it has been logged", {"code": Code.INTERNAL.value})


def _recode(result: object, metrics: ApiMetrics) -> None:
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
            _recode(result, self.metrics)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self._streamed = True
        _recode(result, self.metrics)
        yield None

    def _kind(self) -> str:
        try:
            return self.execution_context.operation_type.value
        except RuntimeError:  # the document did not parse, or names no operation
            return "invalid"
