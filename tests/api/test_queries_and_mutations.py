"""Queries and mutations over HTTP against the real server: the happy paths of the contract."""

from __future__ import annotations

import asyncio
from datetime import datetime
from uuid import UUID

import pytest

from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store
from tests.api.client import Api
from tests.api.documents import CREATE, DELETE, ME, PLANS, RETRY, STORE, STORE_AT, STORES, create_input

pytestmark = pytest.mark.asyncio(loop_scope="session")
SYSTEM = "system:reconciler"


async def test_a_created_store_is_requested_and_reads_back_with_its_first_event(
    api: Api, token: str, tenant: str
) -> None:
    created = await api.data(CREATE, create_input("shop", "MEDUSA", "medium"), token)
    store = created["createStore"]["store"]
    assert (store["name"], store["engine"], store["plan"], store["status"], store["tenant"]) == (
        "shop", "MEDUSA", "medium", "REQUESTED", tenant,
    )
    assert [s["current"] for s in store["steps"]] == [True, False, False, False, False]
    assert created["createStore"]["correlationId"].startswith("api-")

    read = (await api.data(STORE, {"id": store["id"]}, token))["store"]
    assert read["id"] == store["id"]
    assert read["status"] == "REQUESTED"  # at once: before its projection, from the event store
    # The timeline is the read model's event feed, which follows the append by milliseconds.
    for _ in range(100):
        if read["events"]:
            break
        await asyncio.sleep(0.05)
        read = (await api.data(STORE, {"id": store["id"]}, token))["store"]
    assert [e["type"] for e in read["events"]] == ["Requested"]
    assert read["events"][0]["actor"].startswith(f"tenant:{tenant}/token:")
    assert read["events"][0]["data"]["name"] == "shop"


async def test_a_repeated_keyed_create_returns_the_same_store(api: Api, token: str) -> None:
    first = await api.data(CREATE, create_input("keyed", idempotencyKey="k-1"), token)
    again = await api.data(CREATE, create_input("keyed", idempotencyKey="k-1"), token)
    assert first["createStore"]["store"]["id"] == again["createStore"]["store"]["id"]


async def test_stores_are_paged_newest_first_and_filtered(api: Api, token: str) -> None:
    names = ["one", "two", "three"]
    for name in names:
        await api.data(CREATE, create_input(name, "MEDUSA" if name == "two" else "WOOCOMMERCE"), token)
    await api.listed(token, 3)
    page = (await api.data(STORES, {"first": 2}, token))["stores"]
    assert page["totalCount"] == 3
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (await api.data(STORES, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token))["stores"]
    assert rest["pageInfo"]["hasNextPage"] is False
    listed = [e["node"]["name"] for e in page["edges"] + rest["edges"]]
    assert listed == list(reversed(names))

    medusa = (await api.data(STORES, {"engine": "MEDUSA"}, token))["stores"]
    assert [e["node"]["name"] for e in medusa["edges"]] == ["two"]
    ready = (await api.data(STORES, {"status": ["READY", "FAILED"]}, token))["stores"]
    assert ready["totalCount"] == 0


async def test_delete_then_store_at_replays_the_past(api: Api, token: str, service: StoreService) -> None:
    store = (await api.data(CREATE, create_input("gone"), token))["createStore"]["store"]
    deleted = (await api.data(DELETE, {"id": store["id"]}, token))["deleteStore"]["store"]
    assert deleted["status"] == "DELETING"
    assert deleted["version"] == 2

    past = (await api.data(STORE_AT, {"id": store["id"], "version": 1}, token))["storeAt"]
    assert (past["status"], past["version"]) == ("REQUESTED", 1)
    at = (await api.data(STORE_AT, {"id": store["id"], "at": store["updatedAt"]}, token))["storeAt"]
    assert at["status"] == "REQUESTED"


async def test_retry_brings_a_failed_store_back_to_provisioning(
    api: Api, token: str, service: StoreService
) -> None:
    store = (await api.data(CREATE, create_input("flaky"), token))["createStore"]["store"]

    def fail(s: Store) -> None:
        s.start_provisioning(stamp=Stamp(SYSTEM, "c"))
        s.record_failed(step="release", reason="chart broke", retryable=True, stamp=Stamp(SYSTEM, "c"))

    await asyncio.to_thread(service.change, UUID(store["id"]), fail)
    retried = (await api.data(RETRY, {"id": store["id"]}, token))["retryStore"]["store"]
    assert retried["status"] == "PROVISIONING"


TIMES = """
query Times($id: ID!) {
  store(id: $id) { provisioningTimes { step at seconds sinceStartSeconds } }
}"""


async def test_the_time_from_create_to_ready_reads_step_by_step(
    api: Api, token: str, service: StoreService
) -> None:
    store = (await api.data(CREATE, create_input("timed"), token))["createStore"]["store"]
    stamp = Stamp(SYSTEM, "c-timed")

    def provision(s: Store) -> None:
        s.start_provisioning(stamp=stamp)
        s.record_namespace_ready(namespace=s.namespace, stamp=stamp)
        s.record_ready(url="http://timed.example.test/", check="GET / answered HTTP 200", stamp=stamp)

    await asyncio.to_thread(service.change, UUID(store["id"]), provision)
    for _ in range(100):  # the times come from the event feed, which follows by milliseconds
        times = (await api.data(TIMES, {"id": store["id"]}, token))["store"]["provisioningTimes"]
        if times and times[-1]["step"] == "BecameReady":
            break
        await asyncio.sleep(0.05)
    history = list(service.history(UUID(store["id"])))
    assert [t["step"] for t in times] == ["ProvisioningStarted", "NamespaceReady", "BecameReady"]
    assert [datetime.fromisoformat(t["at"]) for t in times] == [e.timestamp for e in history[1:]]
    assert times[-1]["sinceStartSeconds"] == (history[-1].timestamp - history[0].timestamp).total_seconds()
    assert sum(t["seconds"] for t in times) == pytest.approx(times[-1]["sinceStartSeconds"])


async def test_me_and_plans_tell_the_caller_what_it_may_do(api: Api, token: str, tenant: str) -> None:
    await api.data(CREATE, create_input("mine"), token)
    me = (await api.data(ME, token=token))["me"]
    assert (me["tenant"], me["admin"], me["quota"]) == (
        tenant, False, {"used": 1, "limit": 3, "remaining": 2},
    )
    plans = (await api.data(PLANS, token=token))["plans"]
    assert [p["name"] for p in plans] == ["small", "medium", "large"]


async def test_an_admin_sees_every_tenant_and_creates_for_any(
    api: Api, token: str, tenant: str, admin_token: str
) -> None:
    created = await api.data(CREATE, create_input("by-admin", tenant=tenant), admin_token)
    assert created["createStore"]["store"]["tenant"] == tenant
    assert created["createStore"]["store"]["id"]
    await api.listed(token, 1)
    tenant_view = (await api.data(STORES, {}, token))["stores"]
    assert [e["node"]["name"] for e in tenant_view["edges"]] == ["by-admin"]
    tenants = (await api.data("{ tenants { name liveStores } }", token=admin_token))["tenants"]
    assert {"name": tenant, "liveStores": 1} in tenants
