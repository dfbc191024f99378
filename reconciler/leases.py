"""Work claiming across reconciler processes: row leases in PostgreSQL.

Fed by the read model (which stores need work: requested, provisioning when not backing off,
deleting, ready when a drift resync is due) and by the verdicts of workers; feeds the dispatcher
with the stores this process may work on. A claim is one conditional upsert, so two processes can
never both hold a store; a lease not renewed expires and another process picks the store up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from projections.schema import READ_MODEL_SCHEMA
from reconciler.fence import LeaseFence
from reconciler.schema import LEASES

WORK_STATUSES = ("requested", "provisioning", "deleting", "ready")

_CLAIM = f"""
WITH due AS (
    SELECT s.id
    FROM {READ_MODEL_SCHEMA}.stores s
    LEFT JOIN {LEASES} l ON l.store_id = s.id
    WHERE s.status = ANY($3::text[])
      AND (s.status <> 'provisioning' OR s.retry_at IS NULL OR s.retry_at <= now())
      AND (
        l.store_id IS NULL
        OR (l.holder IS NOT NULL AND l.expires_at < now())
        OR (l.holder IS NULL AND (s.version > l.done_version OR l.not_before <= now()))
      )
    -- New requests first (their first action is what a user waits for), drift resyncs last.
    ORDER BY array_position(ARRAY['requested', 'deleting', 'provisioning', 'ready'], s.status), s.updated_at
    LIMIT $2
)
INSERT INTO {LEASES} AS l (store_id, holder, expires_at, claims)
SELECT id, $1, now() + $4 * interval '1 second', 1 FROM due
ON CONFLICT (store_id) DO UPDATE
    SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, claims = l.claims + 1
    WHERE l.holder IS NULL OR l.expires_at < now()
RETURNING l.store_id, l.failures, l.claims
"""


@dataclass(frozen=True)
class Claim:
    store_id: UUID
    failures: int
    # `claims` after this claim: the fencing epoch (`reconciler.fence`). Every claim of the row bumps
    # it, so with the holder's name (unique per process) it names this claim and no other.
    epoch: int


class Leases:
    def __init__(self, pool: asyncpg.Pool, *, holder: str, ttl: timedelta) -> None:
        self.pool = pool
        self.holder = holder
        self.ttl = ttl

    async def claim(self, limit: int) -> list[Claim]:
        if limit <= 0:
            return []
        records = await self.pool.fetch(
            _CLAIM, self.holder, limit, list(WORK_STATUSES), self.ttl.total_seconds()
        )
        return [Claim(r["store_id"], int(r["failures"]), int(r["claims"])) for r in records]

    def fence(self, claim: Claim) -> LeaseFence:
        return LeaseFence(claim.store_id, self.holder, claim.epoch)

    async def renew(
        self, store_ids: list[UUID], *, conn: asyncpg.pool.PoolConnectionProxy | None = None,
    ) -> set[UUID]:
        """Extends the leases still ours (and not yet expired: an expired lease may already be
        another holder's to claim); returns those, so the caller can stop work on the rest.
        `conn`: the renewal's own connection, so renewing never queues behind the work it guards."""
        if not store_ids:
            return set()
        records = await (conn or self.pool).fetch(
            f"""UPDATE {LEASES} SET expires_at = now() + $3 * interval '1 second'
                WHERE holder = $1 AND store_id = ANY($2::uuid[]) AND expires_at > now()
                RETURNING store_id""",
            self.holder, store_ids, self.ttl.total_seconds(),
        )
        return {r["store_id"] for r in records}

    async def release(
        self, store_id: UUID, *, version: int | None, not_before: datetime | None, failures: int
    ) -> bool:
        """Hands the store back, not to be claimed before `not_before` unless it changes past
        `version`; `version=None` means the version the read model has now (work that crashed
        knows no version of its own, and 0 would let the store be claimed again at once).
        Returns False when the lease was no longer this holder's (expired and claimed by another)."""
        status = await self.pool.execute(
            f"""UPDATE {LEASES} AS l
                SET holder = NULL, expires_at = now(), not_before = $4, failures = $5,
                    done_version = COALESCE(
                        $3::integer,
                        (SELECT s.version FROM {READ_MODEL_SCHEMA}.stores s WHERE s.id = l.store_id),
                        0
                    )
                WHERE store_id = $1 AND holder = $2""",
            store_id, self.holder, version, not_before, failures,
        )
        return _changed_one(status)

    async def forget(self, store_id: UUID) -> bool:
        """Drops the lease of a store that is gone; False when it was no longer this holder's."""
        status = await self.pool.execute(
            f"DELETE FROM {LEASES} WHERE store_id = $1 AND holder = $2", store_id, self.holder
        )
        return _changed_one(status)

    async def release_all(self) -> None:
        """Hands back everything this process holds, for another process to pick up at once."""
        await self.pool.execute(
            f"UPDATE {LEASES} SET holder = NULL, expires_at = now(), not_before = now() WHERE holder = $1",
            self.holder,
        )


def _changed_one(status: str) -> bool:
    """Whether an UPDATE/DELETE command tag (`UPDATE 1`) says it changed a row."""
    return status.rsplit(" ", 1)[-1] != "0"
