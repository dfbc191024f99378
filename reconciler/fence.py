"""The lease as a fencing token: a stale holder's outcome is refused, in the transaction that would
append it.

Fed by the dispatcher (a `LeaseFence` per claimed store: this process's holder name and the claim's
epoch, `leases.claims`, bumped by every claim); feeds the event store's recorder
(`storeplane.event_store.ExactlyOnceRecorder` runs its `statement`, `reconciler.schema.LEASE_HOLDS`,
in the append's transaction, before the events are inserted) and the actions that create things in the cluster
(`confirm`, through the asyncpg pool).

Why in the append's own transaction: a holder paused past its lease (SIGSTOP, a long GC, a hung
socket) wakes up believing it still holds the store. Checking the lease first and appending after
leaves a window in which another holder claims the store; the statement takes the lease row `FOR SHARE`,
so a competing claim (an UPDATE of that row) waits until the append commits or rolls back — the check
and the append are one atomic step. The store version the outcome was decided on is checked by the
application service (`StoreService.change(expected_version=...)`) in the same save: the event's
version is that plus one, and the event store's unique (id, version) key refuses anything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from reconciler.schema import LEASE_HOLDS, LEASES

# The lease's condition again, without `LEASE_HOLDS`'s `FOR SHARE`: outside an append there is
# nothing to hold the row for, and a share lock writes the row's header on every confirm.
_HOLDS_ASYNC = (
    f"SELECT 1 FROM {LEASES} WHERE store_id = $1 AND holder = $2 AND claims = $3 "
    "AND expires_at > now()"
)


class StaleLease(Exception):
    """This process no longer holds the store's lease (expired, or claimed by another holder since):
    whatever it decided is refused, and it must stop working on the store."""

    def __init__(self, fence: LeaseFence) -> None:
        super().__init__(
            f"store {fence.store_id}: lease epoch {fence.epoch} of {fence.holder} is no longer current"
        )
        self.fence = fence


@dataclass(frozen=True)
class LeaseFence:
    """One claim of one store: valid while the lease row still names this holder and this epoch and
    has not expired."""

    store_id: UUID
    holder: str
    epoch: int

    def statement(self) -> tuple[str, Sequence[object]]:
        """Inside the append's transaction: refuses unless still current, and keeps the lease row
        share-locked until the transaction ends."""
        return f"SELECT {LEASE_HOLDS}(%s, %s, %s)", (self.store_id, self.holder, self.epoch)

    def refused(self, message: str) -> StaleLease:
        return StaleLease(self)

    async def confirm(self, pool: asyncpg.Pool) -> None:
        """Before acting on the cluster: raises `StaleLease` unless still current. Not atomic with
        the action (nothing can be); actions that create call it before and after, and undo what
        they created when it fails after."""
        if await pool.fetchval(_HOLDS_ASYNC, self.store_id, self.holder, self.epoch) is None:
            raise StaleLease(self)


@dataclass(frozen=True)
class Guard:
    """What an action calls before (and, when it created something, after) touching the cluster.

    `fence` is None only for a worker run outside the dispatcher (a benchmark driving one store),
    where no lease exists to lose."""

    fence: LeaseFence | None = None
    pool: asyncpg.Pool | None = None

    async def confirm(self) -> None:
        if self.fence is not None and self.pool is not None:
            await self.fence.confirm(self.pool)


UNGUARDED = Guard()
