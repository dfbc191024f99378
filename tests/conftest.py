"""Fixtures shared by the whole suite: a real PostgreSQL (embedded unless DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psycopg
import pytest
import pytest_asyncio

from domain.service import StoreService
from storeplane.database import create_pool, open_service, setup_schema
from storeplane.local_postgres import LocalPostgres

pytest_plugins = ["tests.fixtures.kube"]


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres | None]:
    """The embedded server for this session, or None when DATABASE_URL names another one."""
    if os.environ.get("DATABASE_URL"):
        yield None
        return
    server = LocalPostgres(tmp_path_factory.mktemp("postgres"), durable=False)
    server.start()
    yield server
    server.stop()


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _fresh_database(postgres_server: LocalPostgres | None) -> str:
    base = os.environ.get("DATABASE_URL") or (postgres_server.url() if postgres_server else "")
    name = f"storeplane_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_with_database(base, "postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    url = _with_database(base, name)
    setup_schema(url)
    return url


@pytest.fixture(scope="session")
def database_url(postgres_server: LocalPostgres | None) -> str:
    """A fresh database with the full schema, so no test sees another session's data."""
    return _fresh_database(postgres_server)


@pytest.fixture(scope="session")
def make_database(postgres_server: LocalPostgres | None) -> Callable[[], str]:
    """Makes a database of its own for a long-lived fixture (a platform running beside the tests)."""
    return lambda: _fresh_database(postgres_server)


@pytest.fixture
def private_database_url(postgres_server: LocalPostgres | None) -> str:
    """A database of this test's own, for tests that must be the only writer or reader of it."""
    return _fresh_database(postgres_server)


@pytest_asyncio.fixture(loop_scope="session")
async def own_pool(private_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on this test's own database, which no other test (nor any running projection) touches."""
    pool = await create_pool(private_database_url, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
def own_service(private_database_url: str) -> Iterator[StoreService]:
    """The application service on this test's own database."""
    service = open_service(private_database_url)
    yield service
    service.close()


@pytest.fixture(scope="session")
def service(database_url: str) -> Iterator[StoreService]:
    app = open_service(database_url)
    yield app
    app.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, max_size=10)
    yield pool
    await pool.close()


@pytest.fixture
def tenant() -> str:
    """A tenant of its own for each test, so tests sharing one database never see each other."""
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tells the three kinds of test apart by what they use, so `-m` can pick them: `cluster`
    (the local Kubernetes control plane), `postgres` (a real database, no cluster) and `pure`
    (neither: no I/O at all). `pytest -m "not cluster"` runs in a fraction of the suite's time."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        needs_cluster = item.get_closest_marker("cluster") or item.get_closest_marker("node")
        if "kube_cluster" in fixtures or needs_cluster:
            item.add_marker(pytest.mark.cluster)
        elif "postgres_server" in fixtures:
            item.add_marker(pytest.mark.postgres)
        else:
            item.add_marker(pytest.mark.pure)
