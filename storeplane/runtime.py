"""What every command needs, built on first use: the database URL, the schema, the service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg

from domain.service import StoreService
from projections.runner import ProjectionRunner
from storeplane.database import create_pool, open_service, resolve_database_url, setup_schema
from storeplane.redact import redact_url
from storeplane.settings import Settings

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    _url: str | None = field(default=None, init=False)
    _service: StoreService | None = field(default=None, init=False)

    @property
    def database_url(self) -> str:
        if self._url is None:
            url = resolve_database_url(self.settings)
            setup_schema(url)
            self._url = url
        return self._url

    @property
    def safe_database_url(self) -> str:
        """The database URL with its password masked, for anything printed or logged."""
        return redact_url(self.database_url)

    @property
    def service(self) -> StoreService:
        if self._service is None:
            self._service = open_service(self.database_url, create_table=False)  # set up already
        return self._service

    def with_pool(self, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
        """Runs `work` with a fresh asyncpg pool, for one-shot commands."""

        async def run() -> T:
            pool = await create_pool(self.database_url, max_size=2)
            try:
                return await work(pool)
            finally:
                await pool.close()

        return asyncio.run(run())

    def caught_up_pool(self, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
        """Like `with_pool`, after applying any events the projection has not seen yet."""

        async def run(pool: asyncpg.Pool) -> T:
            await ProjectionRunner(pool).catch_up()
            return await work(pool)

        return self.with_pool(run)

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
