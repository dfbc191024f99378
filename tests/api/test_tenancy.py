"""Tenant isolation: tenant B can neither read, change nor subscribe to tenant A's store, whether it
got the id from a leak or guessed it; to B, A's store does not exist (NOT_FOUND, never FORBIDDEN)."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID, uuid4

import pytest
from websockets.asyncio.client import connect

from domain.actors import Stamp
from domain.service import StoreService
from domain.store import Store
from graphql_api.tokens import TokenStore
from tests.api.client import Api, closed_with, error_codes, subscribed
from tests.api.documents import (
    CREATE,
    DELETE,
    RETRY,
    STORE,
    STORE_AT,
    STORE_EVENTS,
    STORE_UPDATED,
    STORES,
    create_input,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def other_tenant(tenant: str) -> str:
    return f"{tenant}-b"


async def test_another_tenants_store_is_not_found_for_every_operation(
    api: Api, token: str, tokens: TokenStore, other_tenant: str
) -> None:
    _, intruder = await tokens.create(tenant=other_tenant)
    store_id = (await api.data(CREATE, create_input("private"), token))["createStore"]["store"]["id"]
    guessed = str(uuid4())
    for target in (store_id, guessed):
        for document, variables in [
            (STORE, {"id": target}),
            (STORE_AT, {"id": target, "version": 1}),
            (DELETE, {"id": target}),
            (RETRY, {"id": target}),
        ]:
            body = await api.post(document, variables, intruder)
            assert error_codes(body) == ["NOT_FOUND"], (document, body)
            assert body["errors"][0]["message"] == f"store {target} does not exist"
    assert (await api.data(STORES, {}, intruder))["stores"]["totalCount"] == 0
    # Nothing changed: the owner still sees its store as it was.
    assert (await api.data(STORE, {"id": store_id}, token))["store"]["version"] == 1


async def test_another_tenants_store_cannot_be_subscribed_to(
    api: Api, token: str, tokens: TokenStore, other_tenant: str
) -> None:
    _, intruder = await tokens.create(tenant=other_tenant)
    store_id = (await api.data(CREATE, create_input("watched"), token))["createStore"]["store"]["id"]
    for document, variables in [
        (STORE_UPDATED, {"id": store_id}),
        (STORE_EVENTS, {"storeId": store_id, "after": 0}),
    ]:
        async with subscribed(api, document, variables, intruder) as attempt:
            message = await attempt.message()
            errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
            assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"]


async def test_subscriptions_to_all_stores_carry_only_the_callers_own(
    api: Api, token: str, tokens: TokenStore, other_tenant: str, service: StoreService
) -> None:
    _, other = await tokens.create(tenant=other_tenant)
    async with (
        subscribed(api, STORE_UPDATED, {}, other) as updates,
        subscribed(api, STORE_EVENTS, {"after": 0}, other) as events,
    ):
        victim = (await api.data(CREATE, create_input("a-store"), token))["createStore"]["store"]["id"]

        def start(store: Store) -> None:
            store.start_provisioning(stamp=Stamp("system:reconciler", "c"))

        await asyncio.to_thread(service.change, UUID(victim), start)
        # A marker of B's own, after A's events: B's next pushes must be the marker, nothing of A's.
        own = (await api.data(CREATE, create_input("b-store"), other))["createStore"]["store"]["id"]
        assert (await updates.next())["storeUpdated"]["id"] == own
        assert (await events.next())["storeEvents"]["storeId"] == own


async def test_an_unauthenticated_subscription_is_refused(api: Api) -> None:
    """No token at connection_init: the socket is closed 4401 before any subscription starts."""
    async with connect(api.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert await closed_with(ws) == 4401


async def test_subscribers_sharing_one_query_text_each_see_only_what_they_may(
    api: Api, token: str, admin_token: str, tokens: TokenStore, other_tenant: str
) -> None:
    """Live results are computed once per (query, variables, tenant) and shared: the same
    subscription text from two tenants and an admin must still give each its own view."""
    _, other = await tokens.create(tenant=other_tenant)
    async with (
        subscribed(api, STORE_EVENTS, {}, token) as owner,
        subscribed(api, STORE_EVENTS, {}, other) as neighbour,
        subscribed(api, STORE_EVENTS, {}, admin_token) as admin,
    ):
        mine = (await api.data(CREATE, create_input("shared-a"), token))["createStore"]["store"]["id"]
        theirs = (await api.data(CREATE, create_input("shared-b"), other))["createStore"]["store"]["id"]
        marker = (await api.data(CREATE, create_input("shared-c"), token))["createStore"]["store"]["id"]
        assert (await owner.next())["storeEvents"]["storeId"] == mine
        assert (await owner.next())["storeEvents"]["storeId"] == marker, "not the neighbour's event"
        assert (await neighbour.next())["storeEvents"]["storeId"] == theirs, "not the owner's event"
        seen_by_admin = set()
        while seen_by_admin != {mine, theirs, marker}:
            store_id = (await admin.next())["storeEvents"]["storeId"]
            if store_id in (mine, theirs, marker):
                seen_by_admin.add(store_id)
