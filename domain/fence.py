"""A condition an append's own transaction checks before its events are written.

Handed by a caller to `StoreService` (the API's tenant quota, `graphql_api.quota.QuotaFence`; the
reconciler's lease, `reconciler.fence.LeaseFence`) and checked by the event store's recorder
(`storeplane.event_store.ExactlyOnceRecorder`) on the append's own cursor, so the check and the
events commit, or roll back, together. The domain names the contract only; what the cursor is
belongs to the recorder, so it stays `Any` here and the domain imports no database library.
"""

from __future__ import annotations

from typing import Any, Protocol


class Fence(Protocol):
    def verify(self, cursor: Any) -> None:
        """Raises (an `domain.errors.AppendRefused`) to refuse the append, which then rolls back."""
        ...
