"""The API's request pool (`storeplane.database.StatelessConnection`): a released connection skips
asyncpg's reset query, and still never carries an open transaction to its next user."""

from __future__ import annotations

import uuid

import pytest

from storeplane.database import create_pool

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_released_connection_skips_the_reset_query(database_url: str) -> None:
    pool = await create_pool(database_url, max_size=1, stateless=True)
    try:
        async with pool.acquire() as conn:
            await conn.execute("SELECT set_config('application_name', 'left-behind', false)")
        async with pool.acquire() as conn:  # the same connection: the pool holds one
            assert await conn.fetchval("SHOW application_name") == "left-behind", (
                "RESET ALL ran: the pool is paying asyncpg's reset round trip again"
            )
    finally:
        await pool.close()


async def test_an_open_transaction_is_rolled_back_on_release(database_url: str) -> None:
    table = f"request_pool_{uuid.uuid4().hex[:8]}"
    pool = await create_pool(database_url, max_size=1, stateless=True)
    try:
        await pool.execute(f"CREATE TABLE {table} (n int)")
        async with pool.acquire() as conn:
            await conn.execute(f"BEGIN; INSERT INTO {table} VALUES (1)")
            assert conn.is_in_transaction()
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0
    finally:
        await pool.execute(f"DROP TABLE IF EXISTS {table}")
        await pool.close()


async def test_the_default_pool_still_resets_session_state(database_url: str) -> None:
    """What the stateful pool (LISTEN, advisory locks) relies on, so the two stay different."""
    pool = await create_pool(database_url, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("SELECT set_config('application_name', 'left-behind', false)")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SHOW application_name") != "left-behind"
    finally:
        await pool.close()

