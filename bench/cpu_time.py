"""CPU time per request of the server under test and of its PostgreSQL, read from /proc.

Latency on this shared 2-core machine moves several-fold with other people's load; the CPU a
request costs does not, so each benchmark row can say what its requests cost beside how long
they took. Linux only (it is where the benchmarks run)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system time of `pid` and of its exited, waited-for children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICK  # utime stime cutime cstime


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(FileNotFoundError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def server_pids() -> list[int]:
    """The `storeplane` processes this benchmark started (`up`, or `api` and `followers`) and
    theirs (API workers); not another benchmark's on the same machine."""
    mine, todo = [], children(os.getpid())
    while todo:
        pid = todo.pop()
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, PermissionError):
            if b"storeplane.cli" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
                mine.append(pid)
                todo += children(pid)
    return mine


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def postgres_pids(database_url: str) -> list[int]:
    """The postmaster of a server on this machine (the parent of a backend of ours) and its
    processes; none if the server is elsewhere."""
    with contextlib.suppress(psycopg.Error, OSError, ValueError, IndexError):
        with psycopg.connect(database_url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
            postmaster = parent(int(row[0])) if row else 0
        if postmaster > 1:
            return [postmaster, *children(postmaster)]
    return []


@dataclass
class CpuSpent:
    server: float = 0.0
    postgres: float | None = None

    def per_request(self, requests: int) -> str:
        pg = "n/a" if self.postgres is None else f"{1000 * self.postgres / requests:.2f}"
        return f"CPU/request: server {1000 * self.server / requests:.2f} ms, postgres {pg} ms"


@dataclass
class CpuClock:
    """Measures the server's and PostgreSQL's CPU over a block. PostgreSQL's backends persist in
    the server's pools, so the processes are listed once, at the start of each block."""

    database_url: str

    @contextlib.contextmanager
    def measure(self) -> Iterator[CpuSpent]:
        servers, pgs = server_pids(), postgres_pids(self.database_url)
        before_server = sum(map(cpu_seconds, servers))
        before_pg = {pid: cpu_seconds(pid) for pid in pgs}
        spent = CpuSpent()
        yield spent
        spent.server = sum(map(cpu_seconds, servers)) - before_server
        if pgs:
            spent.postgres = sum(cpu_seconds(pid) - before_pg[pid] for pid in pgs)
