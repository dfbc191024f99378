"""The audit and the API tell one story: GraphQL's `storeAt` and a store's `events` agree with the
audit's replayed state and history (issue 8)."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg
import pytest

from audit.history import store_history
from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store
from storeplane.cli.audit import state_summary
from tests.api.client import Api
from tests.api.documents import CREATE, STORE, STORE_AT, create_input

pytestmark = pytest.mark.asyncio(loop_scope="session")
SYSTEM = "system:reconciler"


def provisioning_steps(store: Store) -> None:
    store.start_provisioning(stamp=Stamp(SYSTEM, "c"))


def namespace_ready(store: Store) -> None:
    store.record_namespace_ready(namespace=store.namespace, stamp=Stamp(SYSTEM, "c"))


async def test_store_at_and_events_agree_with_the_audit(
    api: Api, token: str, service: StoreService, pool: asyncpg.Pool
) -> None:
    created = await api.data(CREATE, create_input("audited"), token)
    store_id = created["createStore"]["store"]["id"]
    for command in (provisioning_steps, namespace_ready):
        await asyncio.to_thread(service.change, UUID(store_id), command)

    history = await store_history(pool, UUID(store_id))
    for record in history:
        version = record["version"]
        over_api = (await api.data(STORE_AT, {"id": store_id, "version": version}, token))["storeAt"]
        replayed = state_summary(service.store_at(UUID(store_id), version=version))
        assert over_api["version"] == replayed["version"] == version
        assert over_api["status"].lower() == replayed["status"]
        assert over_api["statusReason"] == replayed["status_reason"]
        assert over_api["namespace"] == replayed["namespace"]
        assert [s["name"] for s in over_api["steps"] if s["done"]] == replayed["completed_steps"]

    for _ in range(50):  # the projection applies the last events a moment later
        store = (await api.data(STORE, {"id": store_id, "first": 50}, token))["store"]
        if len(store["events"]) == len(history):
            break
        await asyncio.sleep(0.1)
    events = store["events"]
    assert [(e["sequence"], e["version"], e["type"], e["actor"]) for e in events] == [
        (r["sequence"], r["version"], r["type"], r["actor"]) for r in history
    ]
    assert [e["data"] for e in events] == [r["data"] for r in history]
