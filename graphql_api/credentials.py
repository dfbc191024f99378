"""The reveal use case: show a store's owner (or an admin) its admin credentials, and record that.

Fed by the `revealStoreCredentials` mutation and the operator's `storeplane stores credentials`;
reads the store's Secret through a `CredentialsSource` (`reconciler.cluster.credentials`, wired by
the composition root) and records `CredentialsRevealed` through the `StoreService`.

Why this order: who may see the store and whether it is READY are settled first, so a refused
caller causes no cluster read and no event; the event is appended before the values are handed
back, so a reveal that could not be recorded shows nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import ParamSpec, Protocol, TypeVar
from uuid import UUID

from domain.actors import Stamp
from domain.credentials import StoreCredentials
from domain.errors import CredentialsMissing
from domain.service import StoreService
from reconciler.cluster.charts import CREDENTIALS_SECRET

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class CredentialsSource(Protocol):
    async def read(self, namespace: str) -> Mapping[str, str] | None:
        """The decoded values of the store's credentials Secret, or None when it does not exist."""


class Runner(Protocol):
    """Runs a synchronous service method off the event loop (`ApiServices.call`, `asyncio.to_thread`)."""

    def __call__(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Awaitable[T]: ...


async def reveal_credentials(
    *, service: StoreService, source: CredentialsSource, run: Runner, store_id: UUID, stamp: Stamp,
    tenant: str | None,
) -> StoreCredentials:
    """The credentials of the store, once their reveal is recorded; `tenant` None for an admin or
    the operator. Raises StoreNotFound, CredentialsNotReady or CredentialsMissing (nothing recorded)."""
    store = await run(service.credentials_target, store_id, tenant=tenant)
    secret = await source.read(store.namespace)
    if secret is None:
        raise CredentialsMissing(store_id, f"secret {CREDENTIALS_SECRET}")
    revealed = await run(service.reveal_credentials, store_id, secret=secret, stamp=stamp, tenant=tenant)
    # Who and for which request, as the event has it; never a value.
    log.info("store=%s correlation_id=%s actor=%s credentials revealed", store_id, stamp.correlation_id,
             stamp.actor)
    return revealed
