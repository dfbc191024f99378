"""A condition an append's own transaction checks before its events are written.

Handed by a caller to `StoreService` (the API's tenant quota, `graphql_api.quota.QuotaFence`; the
reconciler's lease, `reconciler.fence.LeaseFence`) and checked by the event store's recorder
(`storeplane.event_store.ExactlyOnceRecorder`), which runs the fence's statement inside the
append's transaction, in the very message that locks, inserts and commits. So the check and the
events commit, or roll back, together, and no answer has to travel back to the client between
them. The domain names the contract only: the statement is text for the recorder to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

REFUSED_SQLSTATE = "SPF01"
"""The SQLSTATE a fence's statement raises to refuse the append (a user-defined class, so no
PostgreSQL error can be mistaken for it); the error's message is handed to `Fence.refused`."""


class Fence(Protocol):
    def statement(self) -> tuple[str, Sequence[object]]:
        """One SQL statement (psycopg `%s` placeholders) and its parameters. It raises
        `REFUSED_SQLSTATE` to refuse the append, and may lock what must not change before the
        append commits (a lock it takes lasts until then)."""
        ...

    def refused(self, message: str) -> Exception:
        """What the append raises when the statement refused it with `message` (an
        `domain.errors.AppendRefused`, or an error of the caller's own)."""
        ...
