"""Fixtures of the audit tests: the shared database with the audit tables, and fresh databases to
tamper with (never the shared one, which other tests use at the same time)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psycopg
import pytest
import pytest_asyncio

from audit.schema import ensure_schema
from domain.service import StoreService
from storeplane.database import create_pool, open_service, setup_schema
from storeplane.local_postgres import LocalPostgres


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


@pytest.fixture(scope="session")
def audited_url(database_url: str) -> str:
    """The session database with the audit tables (idempotent, as `setup_schema` will do it)."""
    ensure_schema(database_url)
    return database_url


@pytest.fixture
def scratch_url(database_url: str, postgres_server: LocalPostgres | None) -> Iterator[str]:
    """A database of this test's own on the same server, with the full schema; dropped afterwards.
    Connected as the superuser: the tampering these tests do is a superuser's (triggers off)."""
    name = f"storeplane_audit_{uuid.uuid4().hex[:10]}"
    admin = postgres_server.admin_url() if postgres_server else with_database(database_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    url = with_database(admin, name)
    setup_schema(url)
    ensure_schema(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)".encode())


@pytest.fixture
def scratch_service(scratch_url: str) -> Iterator[StoreService]:
    app = open_service(scratch_url)
    yield app
    app.close()


@pytest_asyncio.fixture(loop_scope="session")
async def scratch_pool(scratch_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(scratch_url, max_size=3)
    yield pool
    await pool.close()
