"""The one place that runs DDL: every component's tables, in order, under one advisory lock.

Fed by the composition root (`storeplane.database.setup_schema` lists the steps: the event store's
table, the read model, the audit chain, the reconciler's leases, tokens, the quarantine) and by the
components that may start before it ran (the reconciler, the token commands), which pass their own
step; feeds PostgreSQL. Each component owns its DDL text; only this module executes it.

Why one lock for all: `CREATE ... IF NOT EXISTS` is not race-free (two first starts fail with
"tuple concurrently updated"), and a lock per component would not stop two components' steps that
touch the same object (the audit trigger lives on the event store's table).

Why a record of what was applied: idempotent DDL is not lock-free. `CREATE INDEX IF NOT EXISTS`
and `CREATE OR REPLACE TRIGGER` lock their table before they find there is nothing to do, so every
start queued behind any other process's open transaction on the events table, and a process
paused inside one (SIGSTOP, a debugger, a frozen VM) held every later start until it woke. Each set
step is recorded by a fingerprint of its text once applied; a start whose steps are all recorded
reads a few rows and takes no lock. Changed DDL has a new fingerprint and runs once, under the
lock, as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import psycopg
from asyncpg.pool import PoolConnectionProxy

from postgres.locks import LockKey

APPLIED = "public.storeplane_schema_applied"
_APPLIED_DDL = f"""
CREATE TABLE IF NOT EXISTS {APPLIED} (
    fingerprint text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
_TABLE_EXISTS = f"SELECT to_regclass('{APPLIED}') IS NOT NULL"  # a separate query: a missing
# table fails a statement that names it at parse time, whatever its WHERE says
_APPLIED_OF = f"SELECT fingerprint FROM {APPLIED} WHERE fingerprint = ANY(%s)"
_RECORD = f"INSERT INTO {APPLIED} (fingerprint) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING"


@dataclass(frozen=True)
class Created:
    """A step whose DDL a library runs itself (eventsourcing creates the events table); `name`
    stands for its DDL in the fingerprint, so it must change when that DDL can (carry a version)."""

    name: str
    create: Callable[[], None]


Step = str | Created


def fingerprint(step: Step) -> str:
    text = step if isinstance(step, str) else f"created by {step.name}"
    return hashlib.sha256(text.encode()).hexdigest()


def apply_ddl(url: str, steps: Sequence[Step]) -> None:
    """Runs those of `steps` not recorded as applied, in order, while holding the schema lock;
    idempotent steps make it safe from several processes starting at once."""
    keys = [fingerprint(step) for step in steps]
    with psycopg.connect(url, autocommit=True) as conn:
        if not _missing(conn, keys):
            return
        conn.execute("SELECT pg_advisory_lock(%s)", (int(LockKey.SCHEMA),))
        try:
            missing = _missing(conn, keys)  # another process may have applied some meanwhile
            for step, key in zip(steps, keys, strict=True):
                if key not in missing:
                    continue
                if isinstance(step, str):
                    conn.execute(step.encode())
                else:
                    step.create()
            if missing:
                conn.execute(_APPLIED_DDL.encode())
                conn.execute(_RECORD.encode(), (sorted(missing),))
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (int(LockKey.SCHEMA),))


def _missing(conn: psycopg.Connection[Any], keys: list[str]) -> set[str]:
    exists = conn.execute(_TABLE_EXISTS.encode()).fetchone()
    if not (exists and exists[0]):
        return set(keys)
    return set(keys) - {row[0] for row in conn.execute(_APPLIED_OF.encode(), (keys,))}


async def _missing_async(conn: asyncpg.Connection | PoolConnectionProxy, keys: list[str]) -> set[str]:
    if not await conn.fetchval(_TABLE_EXISTS):
        return set(keys)
    return set(keys) - {row[0] for row in await conn.fetch(_APPLIED_OF.replace("%s", "$1"), keys)}


async def apply_ddl_async(pool: asyncpg.Pool, *ddl: str) -> None:
    """The same for a component running on asyncpg; the lock is the same key, so the two wait for
    each other (a session and a transaction advisory lock on one key conflict)."""
    keys = [fingerprint(text) for text in ddl]
    async with pool.acquire() as conn:
        if not await _missing_async(conn, keys):
            return
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", int(LockKey.SCHEMA))
            missing = await _missing_async(conn, keys)
            for text, key in zip(ddl, keys, strict=True):
                if key in missing:
                    await conn.execute(text)
            if missing:
                await conn.execute(_APPLIED_DDL)
                await conn.execute(_RECORD.replace("%s", "$1"), sorted(missing))
