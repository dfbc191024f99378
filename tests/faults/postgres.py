"""A PostgreSQL server of a scenario's own that can be killed like a crash: SIGKILL to the
postmaster (its backends exit when it dies; nothing is flushed or shut down cleanly), then started
again on the same data directory and port. Durable (fsync and synchronous commit on), so what it
acknowledged before the kill must be there after it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psycopg

from storeplane.local_postgres import LocalPostgres


class CrashablePostgres:
    def __init__(self, data_dir: Path) -> None:
        self.server = LocalPostgres(data_dir, durable=True)
        self.kills = 0

    def start(self) -> str:
        return self.server.start()

    @property
    def url(self) -> str:
        return self.server.url()

    def kill(self) -> None:
        pid = int((self.server.pgdata / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        self.kills += 1
        for _ in range(200):  # until it is gone (reaped, or at least no longer a live postmaster)
            if not _alive(pid):
                break
            time.sleep(0.05)

    def restart(self, attempts: int = 120) -> None:
        """Starts it again once the old backends have let go of the shared memory."""
        last: Exception | None = None
        for _ in range(attempts):
            try:
                self.server.start()
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except Exception as error:  # still shutting down, or recovering from the crash
                last = error
                time.sleep(0.5)
        raise AssertionError(f"PostgreSQL did not come back: {last}")

    def stop(self) -> None:
        self.server.stop()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return False
