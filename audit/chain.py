"""The chain's follower: checkpoints the head the append trigger advanced, and chains any event the
trigger did not.

Each event is linked into the global hash chain and its store's chain by the trigger of
`audit.trigger`, in the transaction that appends it. This module is the batch handler on a
`postgres.follower.Follower` of the events table (eventsourcing's NOTIFY, a poll as safety net,
reconnection after a database restart — before, this loop never listened again after one). It
feeds, per batch, a checkpoint of the head in `audit_checkpoints.chain_heads` and the signed
checkpoint file, which is what makes removing even the newest event visible (the last checkpoint
names a position and count the events table must still reach, and the file is beyond a superuser's
reach). It also chains, in Python with the same arithmetic, events found after the tracking
position — a database older than the trigger, or rows written with triggers switched off (only a
superuser can) — in batches that commit with their checkpoint and the tracking row (locked FOR
UPDATE, like the trigger), so every event is chained exactly once, in order.

It cannot stall on an event: it reads bytes and hashes them; nothing in an event's content can make
a hash or a bytea insert fail. There is deliberately no rebuild: recomputing the chain from the
events would launder tampering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

import asyncpg

from audit.hashing import (
    GLOBAL_GENESIS,
    chained,
    link_bytes,
    state_digest,
    store_genesis,
)
from audit.schema import (
    CHAIN_PROJECTION,
    CHAIN_TABLE,
    CHECKPOINT_TABLE,
    TRACKING_TABLE,
)
from audit.signed_checkpoint import Checkpoint, SignedCheckpointFile
from domain.service import EVENTS_TABLE
from postgres.follower import Follower
from postgres.threads import Threads
from projections.postgres_view import Connection

_FILES = Threads(1)  # the signed file's writes: one at a time is all it needs (it takes a flock)

CHECKPOINT_SETTLE_SECONDS = 0.25
"""How long the running chain lets a burst of appends commit before it checkpoints: a checkpoint
per append (a row, a file rename) cost the write path as much as the append's own statements, and
a quarter of a second more before the newest events are under a checkpoint does not weaken what a
checkpoint proves."""

CHAIN_COLUMNS = (
    "notification_id", "ordinal", "originator_id", "originator_version", "topic", "state_digest",
    "store_hash", "global_hash",
)


async def database_identity(conn: Connection) -> str:
    """Names this database across servers: the cluster's system identifier and the database."""
    name = str(await conn.fetchval("SELECT current_database()"))
    try:
        system = await conn.fetchval("SELECT system_identifier FROM pg_control_system()")
    except asyncpg.InsufficientPrivilegeError:
        return name
    return f"{system}-{name}"


async def lock_head(conn: Connection) -> Checkpoint:
    record = await conn.fetchrow(
        f"SELECT position, count, head FROM {TRACKING_TABLE} WHERE projection = $1 FOR UPDATE",
        CHAIN_PROJECTION,
    )
    if record is None:
        raise RuntimeError("no tracking row for the event chain; run schema setup")
    head = bytes(record["head"]) if record["head"] is not None else GLOBAL_GENESIS
    return Checkpoint(int(record["position"]), int(record["count"]), head)


class ChainProjection:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        events_table: str = f"public.{EVENTS_TABLE}",
        batch_size: int = 2000,
        signed: SignedCheckpointFile | None = None,
    ) -> None:
        self.pool = pool
        self.events_table = events_table
        self.batch_size = batch_size
        self.signed = signed
        self._checkpointed = -1  # the head position this instance last checkpointed

    async def apply_next_batch(self) -> int:
        """Chains up to one batch of events the trigger did not chain, in one transaction."""
        async with self.pool.acquire() as conn:
            if not await self._anything_unchained(conn):
                return 0
            async with conn.transaction():
                head, count = await self._apply_batch(conn)
        if count and self.signed is not None:
            await _FILES.run(self.signed.advance, head)
        return count

    async def catch_up(self) -> int:
        """Chains what is left to chain, then checkpoints the head; returns how many it chained."""
        total = 0
        while chained_now := await self.apply_next_batch():
            total += chained_now
        await self.checkpoint()
        return total

    async def checkpoint(self) -> Checkpoint | None:
        """Records the current head (as the trigger left it) in the checkpoint table and the signed
        file, unless it is there already; None while nothing is chained."""
        async with self.pool.acquire() as conn:
            record = await conn.fetchrow(
                f"SELECT position, count, head FROM {TRACKING_TABLE} WHERE projection = $1",
                CHAIN_PROJECTION,
            )
            if record is None or record["head"] is None:
                return None
            head = Checkpoint(int(record["position"]), int(record["count"]), bytes(record["head"]))
            if head.position == self._checkpointed:
                return head  # a poll with nothing new: no row, no file write
            await conn.execute(
                f"INSERT INTO {CHECKPOINT_TABLE} (position, count, head) VALUES ($1, $2, $3) "
                f"ON CONFLICT (position) DO NOTHING",
                head.position, head.count, head.head,
            )
        if self.signed is not None:
            await _FILES.run(self.signed.advance, head)
        self._checkpointed = head.position
        return head

    async def run(
        self, stop: asyncio.Event, *, poll_interval: float = 2.0,
        settle: float = CHECKPOINT_SETTLE_SECONDS,
    ) -> None:
        """Checkpoints (and chains what the trigger did not) as events arrive, until `stop` is set."""
        await Follower(self.pool, EVENTS_TABLE, self.catch_up, poll_interval=poll_interval,
                       settle=settle).run(stop)

    async def _anything_unchained(self, conn: Connection) -> bool:
        """Whether a committed event lies beyond the chain's position, read without a lock.

        The trigger moves the position in each append's own transaction, so normally nothing does,
        and taking the tracking row FOR UPDATE just to learn that made every concurrent append's
        trigger wait for this transaction. One statement sees one snapshot, so an event it misses
        committed after it and is found on the next wake-up. With no tracking row at all, any event
        counts as unchained, so the batch says the schema is missing."""
        return bool(await conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {self.events_table} WHERE notification_id > "
            f"COALESCE((SELECT position FROM {TRACKING_TABLE} WHERE projection = $1), -1))",
            CHAIN_PROJECTION,
        ))

    async def _apply_batch(self, conn: Connection) -> tuple[Checkpoint, int]:
        head = await lock_head(conn)
        records = await conn.fetch(
            f"SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {self.events_table} WHERE notification_id > $1 "
            f"ORDER BY notification_id LIMIT $2",
            head.position, self.batch_size,
        )
        if not records:
            return head, 0
        store_heads = await self._store_heads(conn, {r["originator_id"] for r in records})
        rows, new_head = link_records(records, head, store_heads)
        await conn.copy_records_to_table(
            CHAIN_TABLE.split(".")[1], schema_name=CHAIN_TABLE.split(".")[0], records=rows,
            columns=CHAIN_COLUMNS,
        )
        await conn.execute(
            f"UPDATE {TRACKING_TABLE} SET position = $2, count = $3, head = $4 WHERE projection = $1",
            CHAIN_PROJECTION, new_head.position, new_head.count, new_head.head,
        )
        await conn.execute(
            f"INSERT INTO {CHECKPOINT_TABLE} (position, count, head) VALUES ($1, $2, $3)",
            new_head.position, new_head.count, new_head.head,
        )
        return new_head, len(records)

    @staticmethod
    async def _store_heads(conn: Connection, originators: set[UUID]) -> dict[UUID, bytes]:
        records = await conn.fetch(
            f"SELECT DISTINCT ON (originator_id) originator_id, store_hash FROM {CHAIN_TABLE} "
            f"WHERE originator_id = ANY($1::uuid[]) ORDER BY originator_id, originator_version DESC",
            list(originators),
        )
        return {r["originator_id"]: bytes(r["store_hash"]) for r in records}


def link_records(
    records: Sequence[asyncpg.Record], head: Checkpoint, store_heads: dict[UUID, bytes]
) -> tuple[list[tuple[object, ...]], Checkpoint]:
    """Chain rows for `records` (in notification order) after `head`; updates `store_heads`."""
    rows: list[tuple[object, ...]] = []
    global_hash, count = head.head, head.count
    for r in records:
        originator: UUID = r["originator_id"]
        digest = state_digest(bytes(r["state"]))
        link = link_bytes(r["notification_id"], originator, r["originator_version"], r["topic"], digest)
        global_hash = chained(global_hash, link)
        store_hash = chained(store_heads.get(originator) or store_genesis(originator), link)
        store_heads[originator] = store_hash
        count += 1
        rows.append((r["notification_id"], count, originator, r["originator_version"], r["topic"],
                     digest, store_hash, global_hash))
    return rows, Checkpoint(int(records[-1]["notification_id"]), count, global_hash)


async def signed_checkpoint_file(pool: asyncpg.Pool, data_dir: Path) -> SignedCheckpointFile:
    """This database's signed checkpoint file under `<data_dir>/audit` (its key lives beside it)."""
    async with pool.acquire() as conn:
        return SignedCheckpointFile(data_dir / "audit", await database_identity(conn))
