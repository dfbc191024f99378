"""`storeplane api --workers N`: N processes serve one port, and stopping the parent stops them all.

Given a real PostgreSQL, when `storeplane api --workers 3` starts, then three processes listen on
the port (SO_REUSEPORT) and every new connection is answered; when the parent gets SIGINT, then no
worker is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.test_cli import free_port, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]


def _listeners(port: int) -> set[int]:
    """PIDs with a listening TCP socket on `port`, read from /proc (no ss/lsof needed)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(fields[9])
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            pids.add(int(entry.name))
    return pids


def test_three_workers_share_the_port_and_go_with_the_parent(private_database_url: str) -> None:
    port = free_port()
    parent = subprocess.Popen(
        [sys.executable, "-m", "storeplane.cli", "api", "--port", str(port), "--workers", "3"],
        env={**os.environ, "DATABASE_URL": private_database_url}, cwd=ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready(port)
        deadline = time.monotonic() + 60
        while len(listeners := _listeners(port)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(listeners) == 3, f"listening processes: {listeners}"
        assert parent.pid in listeners
        for _ in range(30):  # a fresh connection each time: the kernel picks a worker
            with httpx.Client() as client:
                assert client.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        parent.send_signal(signal.SIGINT)
        parent.wait(timeout=60)
    deadline = time.monotonic() + 30
    while _listeners(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _listeners(port), "a worker outlived its parent"
