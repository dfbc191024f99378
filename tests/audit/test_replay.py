"""History, state and export on the shared database: they agree with each other and with the event
store, a window and a tenant select exactly their events, and every record carries its chain hashes."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import pytest

from audit.chain import ChainProjection
from audit.export import ExportWindow, export_events
from audit.history import store_history
from domain.errors import StoreNotFound
from domain.service import StoreService
from tests.audit.history import make_history

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def exported(pool: asyncpg.Pool, window: ExportWindow) -> list[dict[str, Any]]:
    lines: list[str] = []
    count = await export_events(pool, window, lines.append)
    assert count == len(lines)
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    return [json.loads(line) for line in lines]


async def test_history_is_the_event_store_s_history_with_hashes(
    audited_url: str, service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    store = make_history(service, tenant, 1)[0]
    await ChainProjection(pool).catch_up()
    records = await store_history(pool, store.id)
    events = list(service.history(store.id))
    assert [(r["version"], r["type"], r["actor"], r["correlation_id"]) for r in records] == [
        (e.originator_version, type(e).__name__, e.actor, e.correlation_id) for e in events
    ]
    assert [datetime.fromisoformat(r["occurred_at"]) for r in records] == [e.timestamp for e in events]
    assert [r["sequence"] for r in records] == sorted(r["sequence"] for r in records)
    assert records[0]["data"]["name"] == "shop-0"
    assert {r["tenant"] for r in records} == {tenant}
    assert all(len(bytes.fromhex(r["global_hash"])) == 32 for r in records)
    assert len({r["aggregate_hash"] for r in records}) == len(records)


async def test_state_at_each_version_and_instant_is_the_replayed_store(
    audited_url: str, service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    store = make_history(service, tenant, 1)[0]
    records = await store_history(pool, store.id)
    for record in records:
        at_version = service.store_at(store.id, version=record["version"])
        at_instant = service.store_at(store.id, at=datetime.fromisoformat(record["occurred_at"]))
        for replayed in (at_version, at_instant):
            assert replayed.version == record["version"]
            assert (replayed.last_actor, replayed.last_correlation_id) == (
                record["actor"], record["correlation_id"])
            assert replayed.modified_on == datetime.fromisoformat(record["occurred_at"])
    assert service.store_at(store.id, version=len(records)).status == service.get_store(store.id).status


async def test_the_export_of_a_tenant_is_the_history_of_its_stores(
    audited_url: str, service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    stores = make_history(service, tenant, 3)
    make_history(service, f"{tenant}-other", 2)
    await ChainProjection(pool).catch_up()
    lines = await exported(pool, ExportWindow(tenant=tenant))
    assert {line["tenant"] for line in lines} == {tenant}
    for store in stores:
        assert [line for line in lines if line["aggregate_id"] == str(store.id)] == (
            await store_history(pool, store.id))
    reservations = [line for line in lines if line["aggregate"] == "NameReservation"]
    assert len(reservations) == len(stores)


async def test_an_export_window_holds_exactly_the_events_that_occurred_in_it(
    audited_url: str, service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    make_history(service, tenant, 3)
    everything = await exported(pool, ExportWindow(tenant=tenant))
    since, until = everything[3]["occurred_at"], everything[-3]["occurred_at"]
    window = ExportWindow(since=datetime.fromisoformat(since), until=datetime.fromisoformat(until),
                          tenant=tenant)
    inside = [line for line in everything
              if datetime.fromisoformat(since) <= datetime.fromisoformat(line["occurred_at"])
              < datetime.fromisoformat(until)]
    assert 0 < len(inside) < len(everything)
    assert await exported(pool, window) == inside


async def test_the_history_of_an_unknown_or_foreign_store_is_not_found(
    audited_url: str, service: StoreService, pool: asyncpg.Pool, tenant: str
) -> None:
    store = make_history(service, tenant, 1)[0]
    with pytest.raises(StoreNotFound):
        await store_history(pool, store.id, tenant=f"{tenant}-other")
    reservation_line = next(line for line in await exported(pool, ExportWindow(tenant=tenant))
                            if line["aggregate"] == "NameReservation")
    with pytest.raises(StoreNotFound):
        await store_history(pool, uuid.UUID(reservation_line["aggregate_id"]))
