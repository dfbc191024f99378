"""The shared rate buckets are UNLOGGED (no WAL, no flush per mutation or query), also when an older
storeplane made them logged, and they still limit: the burst is granted, the next take is refused."""

from __future__ import annotations

import asyncpg
import pytest

from graphql_api.ratelimit import BUCKETS_TABLE, DDL, Limit, SharedRateLimiter, ensure_schema
from postgres.schema import APPLIED, fingerprint

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def persistence(pool: asyncpg.Pool) -> str:
    value: str = await pool.fetchval(
        "SELECT relpersistence::text FROM pg_class WHERE oid = $1::regclass", BUCKETS_TABLE
    )
    return value


async def test_a_logged_bucket_table_is_switched_to_unlogged_and_keeps_limiting(
    pool: asyncpg.Pool, tenant: str
) -> None:
    await ensure_schema(pool)
    # As an older storeplane left it: the table logged, and no record of the current DDL applied.
    await pool.execute(f"ALTER TABLE {BUCKETS_TABLE} SET LOGGED")
    await pool.execute(f"DELETE FROM {APPLIED} WHERE fingerprint = $1", fingerprint(DDL))
    assert await persistence(pool) == "p"

    await ensure_schema(pool)
    assert await persistence(pool) == "u"
    await ensure_schema(pool)  # again: nothing left to do
    assert await persistence(pool) == "u"

    limiter = SharedRateLimiter(pool)
    limit = Limit(rate_per_second=0.001, burst=2)
    assert [await limiter.take(f"t:{tenant}", limit) for _ in range(2)] == [0.0, 0.0]
    assert await limiter.take(f"t:{tenant}", limit) > 0
