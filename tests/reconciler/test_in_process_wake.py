"""A projection runner in the reconciler's own process wakes it directly, not only by NOTIFY.

Given a database of the test's own, a projection runner that sends no NOTIFY and a reconciler that
polls once an hour, both sharing one `ReadModelMoves` as `storeplane up` wires them: when a store
is created while the reconciler sleeps, then the reconciler starts on it at once. Without the
signal nothing would wake it for an hour: the store is created after the reconciler's first
claim, and after the first store's work ended (which also wakes it).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from domain.actors import Stamp, tenant_actor
from domain.service import StoreService
from projections.moves import ReadModelMoves
from projections.queries import ReadModel
from projections.runner import ProjectionRunner
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import fast_settings, mini_charts, reconciler, status_is, unique_name, wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]


async def test_the_projection_in_the_same_process_wakes_the_reconciler_without_a_notify(
    kube_cluster: KubeCluster, private_database_url: str, own_pool: asyncpg.Pool,
    own_service: StoreService, tenant: str, helm_home: Path,
) -> None:
    moves = ReadModelMoves()
    stop = asyncio.Event()
    silent = ProjectionRunner(own_pool, notify=False, moves=moves)
    projection = asyncio.create_task(silent.run(stop, poll_interval=0.2))
    read_model = ReadModel(own_pool)
    actor = tenant_actor(tenant, "t1")

    def create(name: str) -> UUID:
        store = own_service.create_store(
            tenant=tenant, name=unique_name(name), engine="medusa", plan="small",
            idempotency_key=None, stamp=Stamp(actor, f"create-{name}"),
        )
        return store.id

    settings = fast_settings(kube_cluster, mini_charts(), helm_home, poll_interval=timedelta(hours=1))
    try:
        async with reconciler(private_database_url, settings, kube_cluster.kubeconfig, moves=moves):
            first = create("first")
            await wait_for(read_model, first, status_is("ready"), what="the first store ready", within=120)
            await asyncio.sleep(1)  # its work has ended and handed its lease back: the loop sleeps

            second = create("second")
            await wait_for(read_model, second, status_is("provisioning", "ready"),
                           what="the reconciler started on a store created while it slept", within=15)

            for store_id in (first, second):
                own_service.delete_store(store_id, stamp=Stamp(actor, f"delete-{store_id}"))
                await wait_for(read_model, store_id, status_is("deleted"), what="deleted")
    finally:
        stop.set()
        await projection
