"""The hash chain's arithmetic: canonical bytes of one stored event and how links are chained.

Fed by raw rows of the events table (by the chain projection when it records them, and by
`audit verify` when it recomputes them); feeds the chain rows and the checkpoints. Pure: no I/O.

Why these choices:
- The hashed content is exactly what eventsourcing stored (notification id, originator id, version,
  topic and the state bytes as written), not a decoded event, so a re-encoding of the JSON by a
  newer library cannot look like tampering and any byte changed in PostgreSQL does.
- The encoding is fixed-width (ids, version) plus a length-prefixed topic, so no two different
  rows can produce the same bytes (no "ab"+"c" == "a"+"bc" ambiguity).
- The state is hashed on its own (`state_digest`) and the link carries that digest: a chain row
  can be re-linked without the state, and a state found under another event can be recognised
  (this is how `verify` tells "reordered" from "changed").
- The global chain and each store's chain start from different genesis values, so a link of one
  can never verify as a link of the other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

HASH_SIZE = 32
GLOBAL_GENESIS = hashlib.sha256(b"storeplane-audit:global:v1").digest()


@dataclass(frozen=True)
class StoredRow:
    """One row of the events table, as eventsourcing wrote it."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


def state_digest(state: bytes) -> bytes:
    return hashlib.sha256(state).digest()


def link_bytes(
    notification_id: int, originator_id: UUID, originator_version: int, topic: str, digest: bytes
) -> bytes:
    """The canonical content of one event: what both chains hash, one after the other."""
    topic_bytes = topic.encode()
    return b"".join((
        notification_id.to_bytes(8, "big", signed=True),
        originator_id.bytes,
        originator_version.to_bytes(8, "big", signed=True),
        len(topic_bytes).to_bytes(4, "big"),
        topic_bytes,
        digest,
    ))


def row_link(row: StoredRow) -> bytes:
    return link_bytes(
        row.notification_id, row.originator_id, row.originator_version, row.topic,
        state_digest(row.state),
    )


def store_genesis(originator_id: UUID) -> bytes:
    return hashlib.sha256(b"storeplane-audit:store:v1:" + originator_id.bytes).digest()


def chained(previous: bytes, link: bytes) -> bytes:
    """The next head of a chain: the hash of the previous head followed by the new link."""
    return hashlib.sha256(previous + link).digest()
