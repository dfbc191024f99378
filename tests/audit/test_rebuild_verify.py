"""`projections rebuild --verify`: a rebuild beside the live read model equals it, a drifted live
row is found and named, and the scratch schema never outlives the check."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import psycopg
import pytest

from domain.service import StoreService
from projections.rebuild_check import rebuild_and_compare
from tests.audit.history import make_history
from tests.audit.test_cli import storeplane

asynchronous = pytest.mark.asyncio(loop_scope="session")


async def scratch_schemas(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'read_model_verify_%'")
    return [r["nspname"] for r in rows]


@asynchronous
async def test_a_rebuild_equals_the_live_read_model(
    service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    make_history(service, tenant, 4)
    comparison = await rebuild_and_compare(pool)
    assert comparison.identical, [d.describe() for d in comparison.shown]
    live_rows = await pool.fetchval(
        "SELECT (SELECT count(*) FROM read_model.stores) "
        "+ (SELECT count(*) FROM read_model.store_events) + 1")
    assert comparison.rows_compared == live_rows
    assert comparison.position == await pool.fetchval("SELECT max(notification_id) FROM storeplane_events")
    assert await scratch_schemas(pool) == []


@asynchronous
async def test_a_drifted_live_read_model_is_reported_row_by_row(
    scratch_url: str, scratch_service: StoreService, scratch_pool: asyncpg.Pool
) -> None:
    stores = make_history(scratch_service, "acme", 3)
    assert (await rebuild_and_compare(scratch_pool)).identical
    with psycopg.connect(scratch_url) as conn:
        conn.execute("UPDATE read_model.stores SET status = 'ready' WHERE id = %s", (stores[1].id,))
        conn.execute("DELETE FROM read_model.store_events WHERE sequence = "
                     "(SELECT min(sequence) FROM read_model.store_events)")
    comparison = await rebuild_and_compare(scratch_pool)
    assert comparison.differing == 2
    by_table = {d.table: d for d in comparison.shown}
    assert by_table["stores"].key == str(stores[1].id)
    assert by_table["stores"].columns() == ["status"]
    assert "status: live='ready' rebuilt='provisioning'" in by_table["stores"].describe()
    assert by_table["store_events"].live is None
    assert await scratch_schemas(scratch_pool) == []


def test_the_cli_exits_three_on_a_difference(
    scratch_url: str, scratch_service: StoreService, tmp_path: Path
) -> None:
    data_dir = tmp_path
    make_history(scratch_service, "acme", 2)
    clean = storeplane(scratch_url, data_dir, "projections", "rebuild", "--verify")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "identical" in clean.stdout
    with psycopg.connect(scratch_url) as conn:
        conn.execute("UPDATE read_model.stores SET plan = 'large'")
    drifted = storeplane(scratch_url, data_dir, "projections", "rebuild", "--verify")
    assert drifted.returncode == 3
    assert "DIFFERENT: 2 rows differ" in drifted.stdout
    assert "plan: live='large' rebuilt='small'" in drifted.stdout
