"""The chain's pure parts: canonical bytes are unambiguous, and the signed file only moves forward."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from audit.hashing import GLOBAL_GENESIS, chained, link_bytes, state_digest, store_genesis
from audit.signed_checkpoint import Checkpoint, ForgedCheckpoint, SignedCheckpointFile

ORIGINATOR = uuid.UUID(int=7)


def test_moving_bytes_between_topic_and_state_changes_the_link() -> None:
    one = link_bytes(1, ORIGINATOR, 1, "a.b:C", state_digest(b"{}"))
    other = link_bytes(1, ORIGINATOR, 1, "a.b:C{", state_digest(b"}"))
    assert one != other


@pytest.mark.parametrize(
    "changed",
    [
        link_bytes(2, ORIGINATOR, 1, "t", state_digest(b"s")),
        link_bytes(1, uuid.UUID(int=8), 1, "t", state_digest(b"s")),
        link_bytes(1, ORIGINATOR, 2, "t", state_digest(b"s")),
        link_bytes(1, ORIGINATOR, 1, "u", state_digest(b"s")),
        link_bytes(1, ORIGINATOR, 1, "t", state_digest(b"s ")),
    ],
    ids=["notification-id", "originator", "version", "topic", "state"],
)
def test_every_field_of_an_event_is_in_its_link(changed: bytes) -> None:
    assert chained(GLOBAL_GENESIS, changed) != chained(
        GLOBAL_GENESIS, link_bytes(1, ORIGINATOR, 1, "t", state_digest(b"s")))


def test_a_store_chain_never_starts_like_the_global_chain() -> None:
    assert store_genesis(ORIGINATOR) != GLOBAL_GENESIS != store_genesis(uuid.UUID(int=8))


def test_the_signed_file_only_moves_forward_and_rejects_edits(tmp_path: Path) -> None:
    signed = SignedCheckpointFile(tmp_path, "db-1")
    assert signed.read() is None
    signed.advance(Checkpoint(10, 9, b"\x01" * 32))
    signed.advance(Checkpoint(5, 4, b"\x02" * 32))
    assert signed.read() == Checkpoint(10, 9, b"\x01" * 32)
    assert (tmp_path / "checkpoint.key").stat().st_mode & 0o077 == 0
    body = json.loads(signed.path.read_text())
    body["position"] = 11
    signed.path.write_text(json.dumps(body))
    with pytest.raises(ForgedCheckpoint):
        signed.read()


def test_a_file_signed_for_another_database_does_not_verify(tmp_path: Path) -> None:
    SignedCheckpointFile(tmp_path, "db-1").advance(Checkpoint(10, 9, b"\x01" * 32))
    other = SignedCheckpointFile(tmp_path, "db-2")
    (tmp_path / "db-1.checkpoint.json").replace(other.path)
    with pytest.raises(ForgedCheckpoint):
        other.read()
