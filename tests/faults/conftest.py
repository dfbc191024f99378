"""The fault suite reuses the reconciler tests' fixtures (cluster tools, a helm home of the
session's own) on a database of its own: stores the other suites leave requested (API and
browser tests create stores no reconciler finishes) would otherwise fill the slots of the fault
scenarios' reconcilers, which claim every store in their database, and starve the store under
test. The projection runs in the background on that database, as for the reconciler tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import asyncpg
import pytest
import pytest_asyncio

from domain.service import StoreService
from storeplane.database import create_pool, open_service
from tests.reconciler.conftest import helm_home, projection_running, read_model, tools

__all__ = ["database_url", "helm_home", "pool", "projection", "read_model", "service", "tools"]


@pytest.fixture(scope="package")
def database_url(make_database: Callable[[], str]) -> str:
    return make_database()


@pytest.fixture(scope="package")
def service(database_url: str) -> Iterator[StoreService]:
    app = open_service(database_url)
    yield app
    app.close()


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, max_size=10)
    yield pool
    await pool.close()


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def projection(pool: asyncpg.Pool) -> AsyncIterator[None]:
    async with projection_running(pool):
        yield
