"""The export streams: exporting 100,000 events raises the exporting process's peak memory by little.

Measured in the real command (`storeplane.cli.main(["audit", "export"])`) in a child process: it
first exports a tiny tenant (imports, schema check, pool: everything but the volume), then resets
the kernel's peak-RSS watermark (`/proc/self/clear_refs`), exports all 100,000 events to a file and
reads the new peak. A list-then-print export of 100,000 events needs well over 100 MB; the bound is
50 MB. Runs on a database of its own, not to slow the shared one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from audit.chain import ChainProjection
from domain.service import StoreService
from tests.audit.history import bulk_history, make_history

pytestmark = pytest.mark.asyncio(loop_scope="session")
EVENTS = 100_000
BOUND_MB = 50

_MEASURE = """
import sys
from storeplane.cli import main

def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

def export(path, args):
    with open(path, "w") as out:
        sys.stdout = out
        try:
            assert main(args) == 0
        finally:
            sys.stdout = sys.__stdout__

common, small, full = sys.argv[1:3], sys.argv[3:5], sys.argv[5]
export(full + ".warm-up", [*common, "audit", "export", *small])
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")
before = kib("VmRSS:")
export(full, [*common, "audit", "export"])
print(before, kib("VmHWM:"))
"""


def export_growth_kib(url: str, data_dir: Path, output: Path) -> tuple[int, int]:
    """Peak RSS growth (KiB) of exporting everything after a warm-up, and the lines written."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, "--data-dir", str(data_dir), "--tenant", "tiny", str(output)],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "DATABASE_URL": url}, cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    before, peak = (int(v) for v in result.stdout.split())
    with output.open() as lines:
        return peak - before, sum(1 for _ in lines)


async def test_exporting_100k_events_runs_in_bounded_memory(
    scratch_url: str, scratch_service: StoreService, scratch_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    make_history(scratch_service, "tiny", 1)
    appended = bulk_history(scratch_service, "bulk", stores=500, events_per_store=EVENTS // 500)
    await ChainProjection(scratch_pool, batch_size=5000).catch_up()

    growth_kib, lines = export_growth_kib(scratch_url, tmp_path, tmp_path / "all.ndjson")

    assert lines == await scratch_pool.fetchval("SELECT count(*) FROM storeplane_events")
    assert lines > appended >= EVENTS
    assert growth_kib / 1024 < BOUND_MB, f"peak RSS grew by {growth_kib / 1024:.1f} MB for {lines} events"
