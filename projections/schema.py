"""The read-model tables, created idempotently in a schema of their own.

The projection runner writes them; the API and the reconciler read them. A scratch schema with the
same tables lets a rebuild be compared with the live read model.
"""

from __future__ import annotations

READ_MODEL_SCHEMA = "read_model"
STORES_PROJECTION = "stores"
READ_MODEL_CHANNEL = "storeplane_read_model"


def ddl(schema: str) -> str:
    return f"""
CREATE SCHEMA IF NOT EXISTS {schema};

CREATE TABLE IF NOT EXISTS {schema}.stores (
    id uuid PRIMARY KEY,
    tenant text NOT NULL,
    name text NOT NULL,
    engine text NOT NULL,
    plan text NOT NULL,
    namespace text NOT NULL,
    idempotency_key text,
    status text NOT NULL,
    status_reason text NOT NULL,
    url text,
    version integer NOT NULL,
    attempt integer NOT NULL,
    retry_at timestamptz,
    completed_steps text[] NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    last_sequence bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS stores_tenant_created ON {schema}.stores (tenant, created_at, id);
CREATE INDEX IF NOT EXISTS stores_created ON {schema}.stores (created_at, id);
CREATE INDEX IF NOT EXISTS stores_status ON {schema}.stores (status);

CREATE TABLE IF NOT EXISTS {schema}.store_events (
    sequence bigint PRIMARY KEY,
    store_id uuid NOT NULL,
    tenant text NOT NULL,
    version integer NOT NULL,
    type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor text NOT NULL,
    correlation_id text NOT NULL,
    data jsonb NOT NULL,
    UNIQUE (store_id, version)
);
CREATE INDEX IF NOT EXISTS store_events_tenant ON {schema}.store_events (tenant, sequence);

CREATE TABLE IF NOT EXISTS {schema}.tracking (
    projection text PRIMARY KEY,
    position bigint NOT NULL
);
INSERT INTO {schema}.tracking (projection, position) VALUES ('{STORES_PROJECTION}', 0)
ON CONFLICT (projection) DO NOTHING;
"""
