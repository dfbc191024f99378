"""Connections to PostgreSQL for both sides: the event store (sync, eventsourcing) and asyncpg.

Resolves the database URL (DATABASE_URL, or the embedded server in the data directory), lists every
component's DDL for `postgres.schema` to run (the one place DDL is executed), and builds the
application service and pools.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import asyncpg

from audit.schema import DDL as AUDIT_DDL
from audit.schema import TRIGGER_DDL as AUDIT_TRIGGER_DDL
from domain.catalog import PlanCatalog
from domain.service import EVENTS_TABLE, StoreService
from graphql_api.quota import DDL as QUOTA_DDL
from graphql_api.ratelimit import DDL as RATE_BUCKETS_DDL
from graphql_api.tokens import DDL as TOKENS_DDL
from postgres.quarantine import DDL as QUARANTINE_DDL
from postgres.schema import Created, apply_ddl
from projections.schema import READ_MODEL_SCHEMA, ddl
from reconciler.schema import DDL as RECONCILER_DDL
from storeplane.local_postgres import LocalPostgres
from storeplane.settings import Settings


def resolve_database_url(settings: Settings, *, start: bool = True) -> str:
    if settings.database_url:
        return settings.database_url
    server = LocalPostgres(settings.data_dir)
    return server.start() if start else server.url()


def eventsourcing_env(url: str, *, create_table: bool = True) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        # eventsourcing's CREATE TABLE/INDEX IF NOT EXISTS lock the events table before they find
        # it there, so a service opened on a set-up database skips them (see `postgres.schema`).
        "CREATE_TABLE": "yes" if create_table else "no",
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "18",
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_PRE_PING": "n",
        # Appends checked against a fence in their own transaction, and exactly once across a lost
        # COMMIT reply (see the module).
        "APPLICATION_RECORDER_TOPIC": "storeplane.event_store:ExactlyOnceRecorder",
    }


def open_service(url: str, plans: PlanCatalog | None = None, *, create_table: bool = True) -> StoreService:
    """The application service on the event store; creating it also creates the events table,
    unless `create_table` is False (the database's schema is set up: a process start then takes
    no lock on the events table, so it never waits behind another process's open transaction)."""
    return StoreService(env=eventsourcing_env(url, create_table=create_table), plans=plans)


_READABLE_EVENTS_VIEW = f"""
CREATE OR REPLACE VIEW public.{EVENTS_TABLE}_readable AS
SELECT notification_id, originator_id, originator_version, topic,
       convert_from(state, 'UTF8')::jsonb AS state
FROM public.{EVENTS_TABLE};
"""


def setup_schema(url: str, read_model_schema: str = READ_MODEL_SCHEMA) -> None:
    """Creates every table storeplane needs, idempotently; safe to run at every start, and from
    several processes starting at once (`postgres.schema` holds one lock across all of it), and
    lock-free once applied (`postgres.schema` records each step)."""
    apply_ddl(url, [
        # the event store's table, created by eventsourcing: its version stands for its DDL
        Created(f"eventsourcing {version('eventsourcing')} {EVENTS_TABLE}",
                lambda: open_service(url).close()),
        ddl(read_model_schema),
        _READABLE_EVENTS_VIEW,
        QUOTA_DDL,  # the quota's check and count, over the events and the read model
        RECONCILER_DDL,
        AUDIT_DDL,
        AUDIT_TRIGGER_DDL,  # after the events table: the trigger lives on it
        TOKENS_DDL,
        QUARANTINE_DDL,
        RATE_BUCKETS_DDL,
    ])


if TYPE_CHECKING:  # the stubs' Connection is generic; asyncpg's own class is not subscriptable
    _Connection = asyncpg.Connection[asyncpg.Record]
else:
    _Connection = asyncpg.Connection


class StatelessConnection(_Connection):
    """A connection of the API's request pool, which only ever runs plain statements and
    transactions (rate buckets, the quota's count, read-model queries): nothing LISTENs on it,
    SETs a session variable, keeps a cursor or takes a session advisory lock. So giving it back
    skips asyncpg's reset query (`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`),
    one more round trip after every statement (issue 17: it doubled a pooled `SELECT 1`, 105-132
    against 217-335 µs). An open transaction is still rolled back on release: asyncpg does that
    before, and whatever, the reset query says."""

    def get_reset_query(self) -> str:
        return ""


async def create_pool(
    url: str, *, min_size: int = 1, max_size: int = 10, stateless: bool = False
) -> asyncpg.Pool:
    """`stateless`: a pool of `StatelessConnection`s, for statements that leave no session state."""
    connection_class: type[asyncpg.Connection[asyncpg.Record]] = (
        StatelessConnection if stateless else asyncpg.Connection
    )
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, connection_class=connection_class
    )
    assert pool is not None
    return pool
