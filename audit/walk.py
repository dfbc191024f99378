"""The verifier's judgement: walks events and chain records in notification order, finds the first break.

Fed by `audit.verify` with pairs (the event row, the chain row) at each notification id, either of
which may be missing, and with checkpoints in position order; feeds a `Break` (or nothing) back.
Pure and constant-memory: it keeps only the recomputed head, the count and at most one pending
suspicion, whatever the history's size.

How each kind shows up:
- changed: the event at a chained position has the recorded identity but other content (or the
  chain record itself no longer links: it was edited);
- removed: a chained event is gone (chain row without event, or an ordinal gap, or a checkpoint
  counting more events than there are) and a later event survives;
- truncated: the same, but nothing survives after it, so it is the tail (checkpoints, including the
  signed file, are what reveal a tail removed together with its chain rows);
- inserted: an event at a chained position that the chain never recorded;
- reordered: an event recorded at one position now sits at another (needs a lookup in the chain,
  which is why the walk returns a `Mismatch` for the I/O side to classify).
Whether a missing event is "removed" or "truncated" is only known once a later event is seen or the
walk ends, so it is held as the pending suspicion until then.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from audit.hashing import (
    GLOBAL_GENESIS,
    StoredRow,
    chained,
    link_bytes,
    state_digest,
    store_genesis,
)
from audit.signed_checkpoint import Checkpoint


class BreakKind(StrEnum):
    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    FORGED = "forged"
    """The signed checkpoint file does not verify under our key."""
    UNSIGNED = "unsigned"
    """The signed checkpoint file is missing while events are chained: deleting it is how one would
    hide a rewrite, so it is a break, not "no checkpoint yet"."""


@dataclass(frozen=True)
class Break:
    kind: BreakKind
    notification_id: int | None
    originator_id: UUID | None
    originator_version: int | None
    detail: str

    def describe(self) -> str:
        if self.notification_id is None:
            return f"{self.kind.value}: {self.detail}"
        where = f"event #{self.notification_id}"
        if self.originator_id is not None:
            where += f" (aggregate {self.originator_id} v{self.originator_version})"
        return f"{self.kind.value}: {where}: {self.detail}"


@dataclass(frozen=True)
class ChainRow:
    notification_id: int
    ordinal: int
    originator_id: UUID
    originator_version: int
    topic: str
    state_digest: bytes
    store_hash: bytes
    global_hash: bytes

    def link(self) -> bytes:
        return link_bytes(self.notification_id, self.originator_id, self.originator_version, self.topic,
                          self.state_digest)


@dataclass(frozen=True)
class Mismatch:
    """The event at a chained position is not the recorded one; a lookup decides which break it is."""

    event: StoredRow
    recorded: ChainRow | None


Finding = Break | Mismatch


@dataclass(frozen=True)
class _Missing:
    notification_id: int | None
    originator_id: UUID | None
    originator_version: int | None
    detail: str

    def as_break(self, kind: BreakKind) -> Break:
        return Break(kind, self.notification_id, self.originator_id, self.originator_version, self.detail)


class GlobalWalk:
    def __init__(self, chained_up_to: int) -> None:
        self.chained_up_to = chained_up_to
        self.head = GLOBAL_GENESIS
        self.count = 0
        self.position = 0
        self.events = 0
        self.unchained = 0
        self.checkpoints = 0
        self._last_good_checkpoint = 0
        self._missing: _Missing | None = None

    def row(self, event: StoredRow | None, recorded: ChainRow | None) -> Finding | None:
        """One notification id: the event stored there and the chain's record of it, either absent."""
        if event is not None:
            self.events += 1
            if self._missing is not None:
                return self._after_missing(event, recorded)
        if recorded is None:
            assert event is not None
            return self._unrecorded(event)
        if event is None:
            self._missing = self._missing or _Missing(
                recorded.notification_id, recorded.originator_id, recorded.originator_version,
                f"the chained event ({recorded.topic}) is no longer in the events table",
            )
            self._advance(recorded)
            return None
        return self._compare(event, recorded)

    def checkpoint(self, checkpoint: Checkpoint, source: str) -> Break | None:
        """Called once every row up to `checkpoint.position` has been fed."""
        self.checkpoints += 1
        if (self.count, self.head) == (checkpoint.count, checkpoint.head):
            self._last_good_checkpoint = checkpoint.position
            return None
        span = f"between #{self._last_good_checkpoint} and #{checkpoint.position}"
        if self.count < checkpoint.count:
            self._missing = self._missing or _Missing(
                None, None, None,
                f"{checkpoint.count - self.count} event(s) {span} are gone from both the events table "
                f"and the chain; the {source} counted {checkpoint.count} events up to "
                f"#{checkpoint.position}, {self.count} remain",
            )
            return None
        if self.count > checkpoint.count:
            return Break(BreakKind.INSERTED, None, None, None,
                         f"{self.count - checkpoint.count} more event(s) {span} than the {source} counted")
        return Break(BreakKind.CHANGED, None, None, None,
                     f"history {span} was rewritten: its head no longer matches the {source}")

    def finish(self) -> Break | None:
        if self._missing is not None:
            return self._missing.as_break(BreakKind.TRUNCATED)
        return None

    def _advance(self, recorded: ChainRow) -> None:
        self.head = chained(self.head, recorded.link())
        self.count += 1
        self.position = recorded.notification_id

    def _after_missing(self, event: StoredRow, recorded: ChainRow | None) -> Break:
        missing = self._missing
        assert missing is not None
        moved = recorded is None and (missing.originator_id, missing.originator_version) == (
            event.originator_id, event.originator_version)
        if moved:
            return Break(BreakKind.REORDERED, event.notification_id, event.originator_id,
                         event.originator_version,
                         f"the event chained at #{missing.notification_id} was moved here")
        return missing.as_break(BreakKind.REMOVED)

    def _unrecorded(self, event: StoredRow) -> Finding | None:
        if event.notification_id > self.chained_up_to:
            self.unchained += 1  # appended after the chain's last batch: not yet chained, not a break
            return None
        return Mismatch(event, None)

    def _compare(self, event: StoredRow, recorded: ChainRow) -> Finding | None:
        if recorded.ordinal != self.count + 1:
            return self._ordinal_gap(event, recorded)
        same_identity = (event.originator_id, event.originator_version) == (
            recorded.originator_id, recorded.originator_version)
        digest = state_digest(event.state)
        if not same_identity or event.topic != recorded.topic or digest != recorded.state_digest:
            return Mismatch(event, recorded)
        # The event equals its record, so the event's link is the record's: hash it once.
        head = chained(self.head, link_bytes(event.notification_id, event.originator_id,
                                             event.originator_version, event.topic, digest))
        if head != recorded.global_hash:
            return Break(BreakKind.CHANGED, event.notification_id, event.originator_id,
                         event.originator_version,
                         "the chain record no longer links to its predecessor: it was edited")
        self.head, self.count, self.position = head, self.count + 1, event.notification_id
        return None


    def _ordinal_gap(self, event: StoredRow, recorded: ChainRow) -> Break:
        expected = self.count + 1
        if recorded.ordinal > expected:
            return Break(BreakKind.REMOVED, event.notification_id, event.originator_id,
                         event.originator_version,
                         f"the chain counts this as event {recorded.ordinal}, the walk as {expected}: "
                         f"{recorded.ordinal - expected} event(s) before it are gone from both tables")
        return Break(BreakKind.INSERTED, event.notification_id, event.originator_id,
                     event.originator_version,
                     f"the chain counts this as event {recorded.ordinal}, the walk as {expected}: "
                     "chain records were added before it")


class StoreChains:
    """Second pass, over chain rows in (aggregate, version) order: each store's own chain."""

    def __init__(self) -> None:
        self._originator: UUID | None = None
        self._head = b""

    def row(self, recorded: ChainRow) -> Break | None:
        if recorded.originator_id != self._originator:
            self._originator = recorded.originator_id
            self._head = store_genesis(recorded.originator_id)
        self._head = chained(self._head, recorded.link())
        if self._head != recorded.store_hash:
            return Break(BreakKind.CHANGED, recorded.notification_id, recorded.originator_id,
                         recorded.originator_version,
                         "the store's own chain breaks here: its chain record was edited")
        return None
