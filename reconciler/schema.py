"""The reconciler's own table: who works on which store, and when to look at it again.

Created idempotently, with the lease check that appends run (`LEASE_HOLDS`, see `fence.py`), by
`ensure_schema` (the reconciler's entry point calls it) and by `setup_schema` (with `DDL`), both
through `postgres.schema`. Read and written only by `leases.py`, checked by `fence.py`.
"""

from __future__ import annotations

import asyncpg

from domain.fence import REFUSED_SQLSTATE
from postgres.schema import apply_ddl_async

SCHEMA = "reconciler"
LEASES = f"{SCHEMA}.leases"
LEASE_HOLDS = f"{SCHEMA}.lease_holds"
DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {LEASES} (
    store_id uuid PRIMARY KEY,
    holder text,                          -- the process working on the store; NULL when released
    expires_at timestamptz NOT NULL,      -- a holder that stops renewing loses the store then
    done_version integer NOT NULL DEFAULT 0,  -- the store version the last holder left it at
    not_before timestamptz,               -- look again then (wait, backoff, drift resync)
    failures integer NOT NULL DEFAULT 0,  -- consecutive failures not tracked by the store itself
    claims bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS leases_holder ON {LEASES} (holder) WHERE holder IS NOT NULL;

-- The lease as an append's fence (`reconciler.fence`): refuses unless the row still names this
-- holder and epoch and has not expired, and share-locks it until the append ends.
CREATE OR REPLACE FUNCTION {LEASE_HOLDS}(p_store uuid, p_holder text, p_epoch bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM 1 FROM {LEASES}
    WHERE store_id = p_store AND holder = p_holder AND claims = p_epoch AND expires_at > now()
    FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '{REFUSED_SQLSTATE}', MESSAGE = 'the lease is no longer current';
    END IF;
END
$fn$;
"""


async def ensure_schema(pool: asyncpg.Pool) -> None:
    """Runs `DDL` through `postgres.schema`, under the same lock as `setup_schema`."""
    await apply_ddl_async(pool, DDL)
