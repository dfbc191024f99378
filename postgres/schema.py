"""The one place that runs DDL: every component's tables, in order, under one advisory lock.

Fed by the composition root (`storeplane.database.setup_schema` lists the steps: the event store's
table, the read model, the audit chain, the reconciler's leases, tokens, the quarantine) and by the
components that may start before it ran (the reconciler, the token commands), which pass their own
step; feeds PostgreSQL. Each component owns its DDL text; only this module executes it.

Why one lock for all: `CREATE ... IF NOT EXISTS` is not race-free (two first starts fail with
"tuple concurrently updated"), and a lock per component would not stop two components' steps that
touch the same object (the audit trigger lives on the event store's table).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import asyncpg
import psycopg

from postgres.locks import LockKey

Step = str | Callable[[], None]
"""DDL text, or a callable that creates its own tables (eventsourcing creates the events table)."""


def apply_ddl(url: str, steps: Sequence[Step]) -> None:
    """Runs `steps` in order while holding the schema lock; idempotent steps make it safe at every
    start and from several processes starting at once."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (int(LockKey.SCHEMA),))
        try:
            for step in steps:
                if isinstance(step, str):
                    conn.execute(step.encode())
                else:
                    step()
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (int(LockKey.SCHEMA),))


async def apply_ddl_async(pool: asyncpg.Pool, *ddl: str) -> None:
    """The same for a component running on asyncpg; the lock is the same key, so the two wait for
    each other (a session and a transaction advisory lock on one key conflict)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", int(LockKey.SCHEMA))
        for text in ddl:
            await conn.execute(text)
