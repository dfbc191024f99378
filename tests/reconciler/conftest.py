"""Fixtures of the reconciler's cluster tests: the projection running in the background (the
reconciler's work source is the read model), a read model, and cluster tools."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from projections.queries import ReadModel
from projections.runner import ProjectionRunner
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import ClusterTools


@contextlib.asynccontextmanager
async def projection_running(pool: asyncpg.Pool) -> AsyncIterator[None]:
    """The projection applying events in the background for the duration of the block."""
    stop = asyncio.Event()
    task = asyncio.create_task(ProjectionRunner(pool).run(stop, poll_interval=0.5))
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def projection(pool: asyncpg.Pool) -> AsyncIterator[None]:
    async with projection_running(pool):
        yield


@pytest.fixture
def read_model(pool: asyncpg.Pool, projection: None) -> ReadModel:
    return ReadModel(pool)


@pytest.fixture(scope="session")
def helm_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("helm-home")


@pytest.fixture(scope="session")
def tools(kube_cluster: KubeCluster, helm_home: Path) -> ClusterTools:
    return ClusterTools(kube_cluster, helm_home)
