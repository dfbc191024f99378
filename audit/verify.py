"""`audit verify`'s reading side: streams the events, the chain and the checkpoints through the walk.

Fed by PostgreSQL (the events table FULL JOIN the chain on notification id, read through a
server-side cursor in one REPEATABLE READ snapshot, so memory stays bounded and the tables are seen
at one instant) and by the signed checkpoint file; feeds a `Verdict` naming the first break, if
any. The judgement itself is in `audit.walk`; this module only reads and, for a mismatch, looks up
where the found event was recorded, to tell "reordered" from "changed" or "inserted".

Checkpoints come from three places, each checked at its position in the walk: the per-batch rows in
`audit_checkpoints.chain_heads`, the chain's tracking row, and the signed file (the only one a
database superuser cannot rewrite to match). A signed file that is missing while the tracking row
counts chained events is a break (`unsigned`): removing it is how a rewrite would be hidden.
Events are chained by a trigger as they are appended (`audit.trigger`), so `unchained` counts only
rows written with triggers switched off, or before the trigger existed: events nothing protects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from audit.chain import CHAIN_COLUMNS
from audit.hashing import StoredRow, state_digest
from audit.schema import CHAIN_PROJECTION, CHAIN_TABLE, CHECKPOINT_TABLE, TRACKING_TABLE
from audit.signed_checkpoint import Checkpoint, ForgedCheckpoint, SignedCheckpointFile
from audit.stream import chunks
from audit.walk import Break, BreakKind, ChainRow, GlobalWalk, Mismatch, StoreChains
from domain.service import EVENTS_TABLE
from projections.postgres_view import Connection

_WALK = f"""
SELECT notification_id, e.originator_id, e.originator_version, e.topic, e.state,
       notification_id, c.ordinal, c.originator_id, c.originator_version, c.topic, c.state_digest,
       c.store_hash, c.global_hash
FROM public.{EVENTS_TABLE} e FULL JOIN {CHAIN_TABLE} c USING (notification_id)
ORDER BY notification_id
"""
_STORE_CHAINS = (f"SELECT {', '.join(CHAIN_COLUMNS)} FROM {CHAIN_TABLE} "
                 f"ORDER BY originator_id, originator_version")


@dataclass(frozen=True)
class Verdict:
    events: int
    chained: int
    unchained: int
    checkpoints: int
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def _event(record: asyncpg.Record) -> StoredRow | None:
    # By position (the order of _WALK's columns): by name costs a lookup per field per row.
    if record[1] is None:
        return None
    return StoredRow(record[0], record[1], record[2], record[3], record[4])


def _chain(record: asyncpg.Record) -> ChainRow | None:
    """From a row whose last eight columns are the chain table's, in `CHAIN_COLUMNS` order."""
    values = tuple(record)[-8:]
    if values[2] is None:
        return None
    return ChainRow(*values)


async def _checkpoints(
    conn: Connection, extras: list[tuple[Checkpoint, str]], page: int = 1000
) -> AsyncIterator[tuple[Checkpoint, str]]:
    """Every checkpoint in position order: the table's rows (read in pages) merged with `extras`."""
    pending = sorted(extras, key=lambda item: item[0].position)
    after = -1
    while True:
        records = await conn.fetch(
            f"SELECT position, count, head FROM {CHECKPOINT_TABLE} WHERE position > $1 "
            f"ORDER BY position LIMIT $2", after, page,
        )
        for r in records:
            while pending and pending[0][0].position <= r["position"]:
                yield pending.pop(0)
            yield Checkpoint(int(r["position"]), int(r["count"]), bytes(r["head"])), "checkpoint table"
        if len(records) < page:
            break
        after = int(records[-1]["position"])
    for item in pending:
        yield item


async def _tracking(conn: Connection) -> Checkpoint | None:
    record = await conn.fetchrow(
        f"SELECT position, count, head FROM {TRACKING_TABLE} WHERE projection = $1", CHAIN_PROJECTION
    )
    if record is None or record["head"] is None:
        return None
    return Checkpoint(int(record["position"]), int(record["count"]), bytes(record["head"]))


class _Walker:
    """Feeds the walk the cursor's rows and the checkpoints due before each row."""

    def __init__(self, conn: Connection, walk: GlobalWalk, extras: list[tuple[Checkpoint, str]]) -> None:
        self.conn = conn
        self.walk = walk
        self.stream = _checkpoints(conn, extras)
        self.next: tuple[Checkpoint, str] | None = None
        self.exhausted = False

    async def settle_before(self, notification_id: int | None) -> Break | None:
        """Checks every checkpoint whose position is before `notification_id` (None: all left)."""
        while not self.exhausted:
            if self.next is None:
                self.next = await anext(self.stream, None)
                if self.next is None:
                    self.exhausted = True
                    return None
            checkpoint, source = self.next
            if notification_id is not None and checkpoint.position >= notification_id:
                return None
            self.next = None
            if broken := self.walk.checkpoint(checkpoint, source):
                return broken
        return None

    async def run(self) -> Break | Mismatch | None:
        async for rows in chunks(self.conn, _WALK):
            for record in rows:
                if broken := await self.settle_before(record[0]):
                    return broken
                if finding := self.walk.row(_event(record), _chain(record)):
                    return finding
        return await self.settle_before(None) or self.walk.finish()


async def _classify(conn: Connection, mismatch: Mismatch) -> Break:
    event, recorded = mismatch.event, mismatch.recorded
    where = (event.notification_id, event.originator_id, event.originator_version)
    same_identity = recorded is not None and (recorded.originator_id, recorded.originator_version) == (
        event.originator_id, event.originator_version)
    if same_identity:
        # One scan, only for the first break: whose recorded state is this one?
        owner = await conn.fetchval(
            f"SELECT notification_id FROM {CHAIN_TABLE} WHERE state_digest = $1 AND notification_id <> $2 "
            f"LIMIT 1", state_digest(event.state), event.notification_id,
        )
        if owner is not None:
            return Break(BreakKind.REORDERED, *where,
                         f"its content is the content chained for event #{owner}: the two were swapped")
        return Break(BreakKind.CHANGED, *where, "its topic or JSON state differs from what was chained")
    chained_at = await conn.fetchval(
        f"SELECT notification_id FROM {CHAIN_TABLE} WHERE originator_id = $1 AND originator_version = $2",
        event.originator_id, event.originator_version,
    )
    if chained_at is not None:
        return Break(BreakKind.REORDERED, *where,
                     f"this event was chained at #{chained_at}; its notification id was changed")
    return Break(BreakKind.INSERTED, *where, "the chain never recorded this event, yet it sits among "
                 "chained events")


async def _store_chains(conn: Connection) -> Break | None:
    chains = StoreChains()
    async for rows in chunks(conn, _STORE_CHAINS):
        for record in rows:
            row = _chain(record)
            assert row is not None
            if broken := chains.row(row):
                return broken
    return None


def _signed_extra(
    signed: SignedCheckpointFile | None, tracking: Checkpoint | None
) -> tuple[list[tuple[Checkpoint, str]], Break | None]:
    if signed is None:
        return [], None
    try:
        checkpoint = signed.read()
    except ForgedCheckpoint as error:
        return [], Break(BreakKind.FORGED, None, None, None, str(error))
    if checkpoint is None:
        if tracking is not None and tracking.count > 0:
            return [], Break(BreakKind.UNSIGNED, None, None, None,
                             f"{signed.path} is missing while {tracking.count} events are chained")
        return [], None
    return [(checkpoint, f"signed checkpoint file {signed.path}")], None


async def verify(pool: asyncpg.Pool, *, signed: SignedCheckpointFile | None = None) -> Verdict:
    """Walks the whole history once (and each store's chain once); names the first break found."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        tracking = await _tracking(conn)
        extras, forged = _signed_extra(signed, tracking)
        if tracking is not None:
            extras.append((tracking, "chain's tracking row"))
        walk = GlobalWalk(tracking.position if tracking else 0)
        finding = forged or await _Walker(conn, walk, extras).run()
        if isinstance(finding, Mismatch):
            finding = await _classify(conn, finding)
        if finding is None:
            finding = await _store_chains(conn)
    return Verdict(walk.events, walk.count, walk.unchained, walk.checkpoints, finding)
