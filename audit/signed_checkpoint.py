"""An HMAC-signed copy of the chain head in a file, with a key that never enters the database.

Written by the chain projection after each batch commits; read by `audit verify`. Someone able to
rewrite the events, the chain and the checkpoint tables consistently (a database superuser) still
cannot produce a head that matches this file without the key, so truncating or rewriting history
up to the file's position is detected.

Why a file per database: the data directory may serve several databases (tests, benchmarks), so
the file is named after the server's system identifier and the database name. Writers take an
exclusive `flock` and only move the file forward, so concurrent chain runners cannot put an older
head over a newer one; the write is a rename, so a reader never sees half a file.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

KEY_FILE = "checkpoint.key"


@dataclass(frozen=True)
class Checkpoint:
    """The chain head after `count` events, the last of them at notification id `position`."""

    position: int
    count: int
    head: bytes


class ForgedCheckpoint(Exception):
    """The file's signature does not match its content under our key."""


def _canonical(database: str, checkpoint: Checkpoint) -> bytes:
    fields = {"database": database, "position": checkpoint.position, "count": checkpoint.count,
              "head": checkpoint.head.hex()}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def _load_or_create_key(directory: Path) -> bytes:
    path = directory / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w") as out:
        out.write(key.hex())
    return key


class SignedCheckpointFile:
    def __init__(self, directory: Path, database: str) -> None:
        self.directory = directory
        self.database = database
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in database)
        self.path = directory / f"{safe}.checkpoint.json"
        self._cached_key: bytes | None = None

    def _key(self) -> bytes:
        # Read once: the key never changes, and a read per checkpoint was a directory chmod and two
        # file operations on every batch the chain checkpointed.
        if self._cached_key is None:
            self._private_directory()
            self._cached_key = _load_or_create_key(self.directory)
        return self._cached_key

    def _private_directory(self) -> None:
        # 0700 even when the directory already existed: the key must stay out of reach of the
        # database server's OS user (and every other local user), who could otherwise forge heads.
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.directory.chmod(0o700)

    def _sign(self, checkpoint: Checkpoint) -> str:
        return hmac.new(self._key(), _canonical(self.database, checkpoint), hashlib.sha256).hexdigest()

    def read(self) -> Checkpoint | None:
        """The signed head, None if no file yet; raises ForgedCheckpoint if the signature is wrong."""
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        checkpoint = Checkpoint(int(data["position"]), int(data["count"]), bytes.fromhex(data["head"]))
        if data.get("database") != self.database or not hmac.compare_digest(
            str(data.get("signature", "")), self._sign(checkpoint)
        ):
            raise ForgedCheckpoint(f"{self.path}: signature does not match its content")
        return checkpoint

    def advance(self, checkpoint: Checkpoint) -> None:
        """Writes `checkpoint` unless the file already holds a later one."""
        self._key()  # the private directory exists from here on
        with open(self.directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.read()
            if current is not None and current.position >= checkpoint.position:
                return
            body = json.loads(_canonical(self.database, checkpoint))
            body["signature"] = self._sign(checkpoint)
            partial = self.path.with_suffix(".partial")
            partial.write_text(json.dumps(body, sort_keys=True, indent=2) + "\n")
            partial.replace(self.path)
