"""The platform as the Helm chart runs it: the API in one process and the followers (projections
and the audit chain) in another, instead of `storeplane up`'s one event loop for all of them.

In one loop, every committed event is applied by the projection and the chain on the same thread
that answers requests, so each event's work sits in front of the next request's; as separate
processes the kernel interleaves them. Both are real deployments (`storeplane up` on a laptop, the
chart on a cluster), so a benchmark can show either (`--split`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.api_common import ROOT, UNLIMITED, free_port, wait_ready


@contextlib.contextmanager
def split_platform_running(database_url: str, *, root: Path = ROOT) -> Iterator[str]:
    """`storeplane followers` and `storeplane api` on a free port; yields the API's URL."""
    port = free_port()
    env = {**os.environ, **UNLIMITED, "DATABASE_URL": database_url}
    log_path = os.environ.get("STOREPLANE_BENCH_SERVER_LOG", os.devnull)
    with open(log_path, "ab") as log:
        processes = [
            subprocess.Popen([sys.executable, "-m", "storeplane.cli", *command],
                             stdout=subprocess.DEVNULL, stderr=log, cwd=root, env=env)
            for command in (["followers"], ["api", "--port", str(port)])
        ]
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, processes)
            yield base
        finally:
            for process in processes:
                process.send_signal(signal.SIGINT)
            for process in processes:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()

