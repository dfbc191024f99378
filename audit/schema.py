"""The audit tables: the hash chain of every event, and checkpoints of its head kept apart.

Created idempotently at start (`storeplane.database.setup_schema` runs `DDL` and `TRIGGER_DDL`
through `postgres.schema`; `ensure_schema` runs just these); written by the trigger of
`audit.trigger` as each event is appended (and by `audit.chain`'s catch-up), read by `audit verify`,
`audit history` and `audit export`.

Why two schemas: the chain (`audit`) and the checkpoints (`audit_checkpoints`) live apart from the
events table (`public`) and from each other, so an operator can grant the application role INSERT
but not UPDATE or DELETE on them, or hand the checkpoints to another role altogether. Triggers make
both append-only against accidents (a superuser can still bypass them, which is why a checkpoint is
also written to an HMAC-signed file whose key is not in the database).
"""

from __future__ import annotations

from audit.trigger import ddl as trigger_ddl
from postgres.schema import apply_ddl

AUDIT_SCHEMA = "audit"
CHECKPOINT_SCHEMA = "audit_checkpoints"
CHAIN_TABLE = f"{AUDIT_SCHEMA}.event_chain"
TRACKING_TABLE = f"{AUDIT_SCHEMA}.tracking"
CHECKPOINT_TABLE = f"{CHECKPOINT_SCHEMA}.chain_heads"
CHAIN_PROJECTION = "event_chain"

DDL = f"""
CREATE SCHEMA IF NOT EXISTS {AUDIT_SCHEMA};
CREATE SCHEMA IF NOT EXISTS {CHECKPOINT_SCHEMA};

CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (
    notification_id bigint PRIMARY KEY,
    ordinal bigint NOT NULL,
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text NOT NULL,
    state_digest bytea NOT NULL,
    store_hash bytea NOT NULL,
    global_hash bytea NOT NULL,
    UNIQUE (originator_id, originator_version)
);

CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} (
    projection text PRIMARY KEY,
    position bigint NOT NULL,
    count bigint NOT NULL,
    head bytea
);
INSERT INTO {TRACKING_TABLE} (projection, position, count, head)
VALUES ('{CHAIN_PROJECTION}', 0, 0, NULL) ON CONFLICT (projection) DO NOTHING;

CREATE TABLE IF NOT EXISTS {CHECKPOINT_TABLE} (
    position bigint PRIMARY KEY,
    count bigint NOT NULL,
    head bytea NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION {AUDIT_SCHEMA}.refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA,
        TG_TABLE_NAME;
END;
$$;
CREATE OR REPLACE TRIGGER event_chain_append_only BEFORE UPDATE OR DELETE ON {CHAIN_TABLE}
    FOR EACH ROW EXECUTE FUNCTION {AUDIT_SCHEMA}.refuse_rewrite();
CREATE OR REPLACE TRIGGER event_chain_no_truncate BEFORE TRUNCATE ON {CHAIN_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {AUDIT_SCHEMA}.refuse_rewrite();
CREATE OR REPLACE TRIGGER chain_heads_append_only BEFORE UPDATE OR DELETE ON {CHECKPOINT_TABLE}
    FOR EACH ROW EXECUTE FUNCTION {AUDIT_SCHEMA}.refuse_rewrite();
CREATE OR REPLACE TRIGGER chain_heads_no_truncate BEFORE TRUNCATE ON {CHECKPOINT_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {AUDIT_SCHEMA}.refuse_rewrite();
"""


TRIGGER_DDL = trigger_ddl(audit_schema=AUDIT_SCHEMA, chain_table=CHAIN_TABLE, tracking_table=TRACKING_TABLE,
                          projection=CHAIN_PROJECTION)


def ensure_schema(url: str) -> None:
    """Creates the audit tables and the chaining trigger if missing; safe at every start."""
    apply_ddl(url, [DDL, TRIGGER_DDL])
