"""Typed domain errors.

Raised by the aggregates and the application service when a command cannot be carried out; the API
and the CLI turn each kind into a stable error code (VALIDATION_FAILED, CONFLICT, NOT_FOUND, …).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause; `code` names the kind of error for callers."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AppendRefused(Exception):
    """Raised by a fence checked in an append's own transaction (a tenant's quota, a reconciler's
    lease) to refuse the append, which then rolls back. Not a `DomainError`: each fence's caller
    turns its own subclass into its own answer."""


class InvalidInput(DomainError):
    """A command argument breaks a rule; `field` names the argument so a form can point at it."""

    code = "VALIDATION_FAILED"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class StoreNotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, store_id: object) -> None:
        super().__init__(f"store {store_id} does not exist")
        self.store_id = store_id


class Conflict(DomainError):
    """The command is well formed but the store's current state does not allow it."""

    code = "CONFLICT"


class NameTaken(Conflict):
    def __init__(self, tenant: str, name: str) -> None:
        super().__init__(f"tenant {tenant!r} already has a store named {name!r}")
        self.tenant = tenant
        self.name = name


class IllegalTransition(Conflict):
    def __init__(self, action: str, status: str, hint: str = "") -> None:
        message = f"cannot {action} a store that is {status}"
        super().__init__(f"{message}: {hint}" if hint else message)
        self.action = action
        self.status = status


class IdempotencyKeyReused(Conflict):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used for a different store request"
        )
        self.key = key


class CredentialsNotReady(IllegalTransition):
    """The store's credentials can be revealed only once it is READY: before, its Secret may not
    exist yet; after deletion, it is gone."""

    def __init__(self, status: str) -> None:
        super().__init__(
            "reveal the credentials of", status, "they can be revealed once the store is READY"
        )


class CredentialsMissing(Conflict):
    """The store is READY but its credentials Secret (or a key of it) is not there: the reconciler
    puts it back on its next pass, so a later attempt may succeed."""

    def __init__(self, store_id: object, missing: str) -> None:
        super().__init__(
            f"the credentials of store {store_id} cannot be read right now ({missing} missing); "
            "try again shortly"
        )
        self.store_id = store_id
        self.missing = missing


class ConcurrentModification(Conflict):
    """Another command changed the store between our read and our write; the caller may retry."""

    def __init__(self, store_id: object) -> None:
        super().__init__(
            f"store {store_id} was changed by another command at the same time; retry"
        )
        self.store_id = store_id


class StorageUnavailable(DomainError):
    """The event store could not be reached, or an append's outcome could not be confirmed, within
    the retries; nothing is known to have been recorded. A keyed create may be repeated safely."""

    code = "UNAVAILABLE"

    def __init__(self, detail: str) -> None:
        super().__init__("the event store is unavailable and nothing is known to be recorded; try again")
        self.detail = detail
