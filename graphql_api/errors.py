"""The API's error vocabulary: every error a client sees carries one code from a fixed set.

Raised by resolvers and limits (`ApiError`) or translated from `domain.errors` (by `.code`);
`graphql_api.extensions.ErrorCodes` turns anything else into INTERNAL without leaking details.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from graphql import GraphQLError

from domain.errors import DomainError, InvalidInput


class Code(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    CONFLICT = "CONFLICT"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL = "INTERNAL"


CODES = frozenset(c.value for c in Code)


class ApiError(GraphQLError):
    """A GraphQL error with `extensions.code` (and more extensions such as `field`)."""

    def __init__(self, code: Code, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code.value, **extensions})
        self.code = code


def unauthenticated(reason: str = "a bearer token is required") -> ApiError:
    return ApiError(Code.UNAUTHENTICATED, reason)


def forbidden(action: str) -> ApiError:
    return ApiError(Code.FORBIDDEN, f"only an admin token may {action}")


def not_found(what: str) -> ApiError:
    return ApiError(Code.NOT_FOUND, f"{what} does not exist")


def invalid(field: str, message: str, **extensions: Any) -> ApiError:
    return ApiError(Code.VALIDATION_FAILED, message, field=field, **extensions)


def quota_exceeded(tenant: str, used: int, limit: int) -> ApiError:
    return ApiError(
        Code.QUOTA_EXCEEDED,
        f"tenant {tenant!r} has {used} live stores; the limit is {limit}. Delete a store first.",
        used=used, limit=limit,
    )


def rate_limited(retry_after: float, what: str = "too many mutations") -> ApiError:
    seconds = round(retry_after, 3) if retry_after != float("inf") else 3600.0
    return ApiError(Code.RATE_LIMITED, f"{what}; retry after {seconds} s", retryAfter=seconds)


def from_domain(error: DomainError) -> ApiError:
    """A domain error as the client sees it, with the code the domain gave it."""
    if isinstance(error, InvalidInput):
        return invalid(error.field, error.message)
    code = Code(error.code) if error.code in CODES else Code.INTERNAL
    return ApiError(code, error.message)
