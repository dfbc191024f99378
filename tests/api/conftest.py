"""Fixtures of the API tests: the real app served by uvicorn on a loopback port, with the projection
runner running, over the suite's real PostgreSQL; and tokens for fresh tenants."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from domain.service import StoreService
from graphql_api.config import ApiConfig
from graphql_api.context import ApiServices
from graphql_api.credentials import CredentialsSource
from graphql_api.server import ApiServer, build_services
from graphql_api.tokens import TokenStore, ensure_schema
from projections.runner import ProjectionRunner
from storeplane.database import create_pool
from tests.api.client import Api

TEST_CONFIG = ApiConfig(max_live_stores=3, mutation_rate_per_second=5, mutation_burst=20)


@dataclasses.dataclass
class Running:
    api: Api
    services: ApiServices


@contextlib.asynccontextmanager
async def serving(database_url: str, service: StoreService, config: ApiConfig,
                  *, runner: bool = True, send_buffer: int | None = None,
                  credentials: CredentialsSource | None = None) -> AsyncIterator[Running]:
    """The API (and, unless told otherwise, a projection runner) until the block ends.

    `send_buffer` fixes the kernel send buffer of every accepted connection (Linux: inherited from
    the listening socket), so a reader that stops reading blocks the server's writes soon.
    `credentials`: where reveals read store Secrets (none: the API has no cluster).
    """
    pool = await create_pool(database_url, max_size=20)
    await ensure_schema(pool)
    stop = asyncio.Event()
    services = build_services(
        database_url=database_url, pool=pool, service=service, config=config, credentials=credentials
    )
    sock = socket.socket()
    if send_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    tasks = [asyncio.create_task(ApiServer(services, sock=sock).run(stop))]
    if runner:
        tasks.append(asyncio.create_task(ProjectionRunner(pool).run(stop, poll_interval=0.5)))
    await services.broadcaster.connected.wait()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield Running(Api(f"http://127.0.0.1:{port}", http), services)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await pool.close()
        sock.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def running(database_url: str, service: StoreService) -> AsyncIterator[Running]:
    async with serving(database_url, service, TEST_CONFIG) as running:
        yield running


@pytest.fixture
def api(running: Running) -> Api:
    return running.api


@pytest.fixture
def tokens(running: Running) -> TokenStore:
    return running.services.tokens


@pytest_asyncio.fixture(loop_scope="session")
async def token(tokens: TokenStore, tenant: str) -> str:
    """A token of the test's own tenant."""
    return (await tokens.create(tenant=tenant))[1]


@pytest_asyncio.fixture(loop_scope="session")
async def admin_token(tokens: TokenStore) -> str:
    return (await tokens.create(tenant="admin", admin=True))[1]
