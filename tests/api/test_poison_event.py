"""Fault scenario 6, a poison event in the log: one tenant's event that the read model cannot hold
(a NUL in its name, written straight into the event store, past every check at the door) is set
aside with its store's later events, and every other tenant's reads, pushes and creates go on. The
operator sees it in `/readyz`, `/metrics` and the quarantine list; a retry keeps it set aside while
its cause remains, and nothing is applied twice."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import psycopg
import pytest
import pytest_asyncio

from audit.export import ExportWindow, export_events
from audit.history import store_history
from domain.actors import Stamp
from domain.service import EVENTS_TABLE, StoreService
from graphql_api.tokens import TokenStore
from projections.quarantine import list_quarantined, retry_quarantined
from storeplane.database import open_service
from tests.api.client import subscribed
from tests.api.conftest import TEST_CONFIG, Running, serving
from tests.api.documents import CREATE, STORE_UPDATED, STORES, create_input

pytestmark = pytest.mark.asyncio(loop_scope="session")
EVENTS = f"public.{EVENTS_TABLE}"


@pytest.fixture
def own_service(private_database_url: str) -> Iterator[StoreService]:
    app = open_service(private_database_url)
    yield app
    app.close()


@pytest_asyncio.fixture(loop_scope="session")
async def own_api(private_database_url: str, own_service: StoreService) -> AsyncIterator[Running]:
    """A database of this test's own: its quarantine must not degrade other tests' `/readyz`."""
    async with serving(private_database_url, own_service, TEST_CONFIG) as running:
        yield running


def append_poison(url: str, like: uuid.UUID) -> uuid.UUID:
    """Appends, as eventsourcing would (under its table lock, with its NOTIFY), a copy of store
    `like`'s first two events for a new store whose name holds a NUL: valid JSON, valid event-store
    rows, and text PostgreSQL refuses."""
    poisoned = uuid.uuid4()
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"SELECT originator_version, topic, state FROM {EVENTS} WHERE originator_id = %s "
            "ORDER BY originator_version LIMIT 2", (like,)).fetchall()
        conn.execute(f"LOCK TABLE {EVENTS} IN EXCLUSIVE MODE")
        for version, topic, state in rows:
            body = json.loads(state)
            if version == 1:
                body["name"] = "evil\x00shop"
            conn.execute(
                f"INSERT INTO {EVENTS} (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, %s, %s)", (poisoned, version, topic, json.dumps(body).encode()))
        conn.execute(f"NOTIFY {EVENTS_TABLE}")
    return poisoned


async def exported_stores(pool: asyncpg.Pool, tenant: str) -> set[str]:
    lines: list[str] = []
    await export_events(pool, ExportWindow(tenant=tenant), lines.append)
    records = [json.loads(line) for line in lines]
    assert {r["tenant"] for r in records} == {tenant}
    return {r["aggregate_id"] for r in records if r["aggregate"] == "Store"}


async def test_a_poison_event_stops_no_other_tenant(
    own_api: Running, own_service: StoreService, private_database_url: str
) -> None:
    api, services = own_api.api, own_api.services
    tokens = TokenStore(services.read_model.pool)
    attacker_tenant, other_tenant = f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
    _, attacker = await tokens.create(tenant=attacker_tenant)
    _, other = await tokens.create(tenant=other_tenant)
    template = (await api.data(CREATE, create_input("template"), attacker))["createStore"]["store"]["id"]
    await asyncio.to_thread(own_service.change, uuid.UUID(template), lambda s: s.start_provisioning(
        stamp=Stamp("system:reconciler", "c")))
    before = (await api.data(CREATE, create_input("before"), other))["createStore"]["store"]["id"]

    async with subscribed(api, STORE_UPDATED, {}, other) as pushes:
        poisoned = append_poison(private_database_url, uuid.UUID(template))
        after = (await api.data(CREATE, create_input("after"), other))["createStore"]["store"]["id"]
        pushed = []
        while after not in pushed:  # the other tenant's create is pushed, past the poison event
            pushed.append((await pushes.next())["storeUpdated"]["id"])

    listed = (await api.data(STORES, {}, other))["stores"]
    assert {e["node"]["id"] for e in listed["edges"]} == {before, after}

    entries = await list_quarantined(services.read_model.pool)
    assert [(q.originator_id, q.held_by is None) for q in entries] == [(poisoned, True), (poisoned, False)]
    assert "[22021]" in entries[0].error, entries[0].error  # invalid byte sequence: the NUL
    assert entries[1].held_by == entries[0].position, "the store's later event waits behind it"

    async with httpx.AsyncClient(base_url=api.base_url) as http:
        ready = await http.get("/readyz")
        metrics = (await http.get("/metrics")).text
    assert ready.status_code == 200, "degraded, not unready: everyone else is served"
    assert any("2 events quarantined by read_model.stores" in r for r in ready.json()["degraded"])
    assert 'storeplane_quarantined_events{handler="read_model.stores"} 2.0' in metrics

    pool = services.read_model.pool  # the audit reads past it too (jsonb would refuse its state)
    assert await exported_stores(pool, other_tenant) == {before, after}
    assert await exported_stores(pool, attacker_tenant) == {template, str(poisoned)}
    assert [r["version"] for r in await store_history(pool, poisoned)] == [1, 2]

    result = await retry_quarantined(services.read_model.pool)
    assert (result.applied, result.still_quarantined) == (0, 2), "its cause remains: still set aside"
    assert [q.attempts for q in await list_quarantined(services.read_model.pool)] == [2, 2]
    assert await pool.fetchval("SELECT count(*) FROM read_model.stores WHERE id = $1", poisoned) == 0
    feed = await pool.fetch("SELECT sequence FROM read_model.store_events ORDER BY sequence")
    events = await pool.fetch(f"SELECT notification_id FROM {EVENTS} WHERE originator_id <> $1 "
                              "AND topic LIKE 'domain.store:Store.%' ORDER BY notification_id", poisoned)
    assert [r["sequence"] for r in feed] == [r["notification_id"] for r in events], "each once"
