"""Fault scenario 1: PostgreSQL killed (SIGKILL, like a crash) during a burst of creates, and again
while the reconciler provisions. Clients retry a create that was not acknowledged with the same
idempotency key, as the API asks them to; afterwards every acknowledged create is there exactly
once, no event was applied twice, and every store converges."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from eventsourcing.persistence import PersistenceError

from domain.actors import Stamp
from domain.errors import DomainError, StorageUnavailable
from domain.service import StoreService
from domain.store import Store
from projections.queries import ReadModel
from projections.runner import ProjectionRunner
from storeplane.database import create_pool, open_service, setup_schema
from tests.faults import invariants
from tests.faults.postgres import CrashablePostgres
from tests.faults.processes import Reconciler
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import ClusterTools, status_is, wait_for
from tests.reconciler.test_processes import charts_dir

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]

BURST = 24
CLIENTS = 6
KILL_AFTER = 6  # acknowledged creates before the first crash


@pytest.fixture
def crashable(tmp_path: Path) -> Iterator[CrashablePostgres]:
    server = CrashablePostgres(tmp_path / "pg")
    setup_schema(server.start())
    yield server
    server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def projected(crashable: CrashablePostgres) -> AsyncIterator[asyncpg.Pool]:
    """The projection on the crashable server, running (and reconnecting) in the background."""
    pool = await create_pool(crashable.url, max_size=4)
    stop = asyncio.Event()
    task = asyncio.create_task(ProjectionRunner(pool).run(stop, poll_interval=0.5))
    yield pool
    stop.set()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(task, timeout=10)
    await pool.close()


class Client:
    """A client of the service that retries an unacknowledged create with its idempotency key."""

    def __init__(self, service: StoreService, tenant: str) -> None:
        self.service = service
        self.tenant = tenant
        self.acknowledged: list[Store] = []
        self.retries = 0
        self.lock = threading.Lock()
        self.enough = threading.Event()  # KILL_AFTER creates acknowledged: time for the crash

    def create(self, i: int) -> None:
        for _ in range(240):
            try:
                store = self.service.create_store(
                    tenant=self.tenant, name=f"burst-{i}", engine="woocommerce", plan="small",
                    idempotency_key=f"burst-{i}", stamp=Stamp("tenant:t", f"c-{i}"),
                )
            except (StorageUnavailable, PersistenceError):
                with self.lock:
                    self.retries += 1
                threading.Event().wait(0.25)
                continue
            except DomainError as error:
                raise AssertionError(f"create {i} answered {error.code}: {error}") from error
            with self.lock:
                self.acknowledged.append(store)
                if len(self.acknowledged) >= KILL_AFTER:
                    self.enough.set()
            return
        raise AssertionError(f"create {i} was never acknowledged")


async def test_postgres_killed_during_creates_and_provisioning_loses_nothing(
    crashable: CrashablePostgres, projected: asyncpg.Pool, kube_cluster: KubeCluster,
    tenant: str, tools: ClusterTools, helm_home: Path, tmp_path: Path,
) -> None:
    service = open_service(crashable.url)
    client = Client(service, tenant)
    try:
        with ThreadPoolExecutor(CLIENTS) as clients:
            burst = [clients.submit(client.create, i) for i in range(BURST)]
            assert await asyncio.to_thread(client.enough.wait, 120)
            await asyncio.to_thread(crashable.kill)
            await asyncio.sleep(1)
            await asyncio.to_thread(crashable.restart)
            for future in burst:
                await asyncio.wrap_future(future)
        stores = client.acknowledged
        assert len({s.id for s in stores}) == BURST
        invariants.acknowledged_kept(service, stores)

        read_model = ReadModel(projected)
        charts = charts_dir(tmp_path / "charts")
        reconciler = Reconciler(crashable.url, kube_cluster, charts, helm_home)
        try:
            await wait_for(read_model, stores[0].id, status_is("provisioning", "ready"), what="provisioning")
            await asyncio.to_thread(crashable.kill)
            await asyncio.sleep(2)
            await asyncio.to_thread(crashable.restart)
            for store in stores:
                row = await wait_for(read_model, store.id, status_is("ready", "failed"), what="ready",
                                     within=420)
                assert row.status == "ready", row.status_reason
        finally:
            log = reconciler.stop()
        await ProjectionRunner(projected).catch_up()
        await invariants.applied_once(projected, [s.id for s in stores])
        for store in stores:
            types = [e.type for e in await read_model.events(store_id=store.id)]
            invariants.one_release_one_revision(tools, store, types)
        assert crashable.kills == 2
        crashes = log.count("Traceback")
        print(f"creates: {BURST}, client retries: {client.retries}, reconciler tracebacks: {crashes}")
    finally:
        service.close()
