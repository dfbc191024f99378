"""Every error code of the contract, produced the way a client would meet it; bad input appends
no event, and no error carries a stack trace."""

from __future__ import annotations

import asyncio
import dataclasses
from uuid import uuid4

import asyncpg
import pytest

from domain.service import StoreService
from graphql_api.tokens import TokenStore
from tests.api.client import Api, error_codes
from tests.api.conftest import TEST_CONFIG, serving
from tests.api.documents import CREATE, RETRY, STORE, STORES, TENANTS, create_input

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def last_event(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT coalesce(max(notification_id), 0) FROM storeplane_events"))


async def test_no_token_or_an_unknown_token_is_unauthenticated(api: Api) -> None:
    assert error_codes(await api.post(STORES)) == ["UNAUTHENTICATED"]
    assert error_codes(await api.post(STORES, token="sp_nope_nothing")) == ["UNAUTHENTICATED"]
    assert error_codes(await api.post(CREATE, create_input("x"), token="garbage")) == ["UNAUTHENTICATED"]


async def test_a_revoked_token_is_unauthenticated(api: Api, tokens: TokenStore, tenant: str) -> None:
    token_id, token = await tokens.create(tenant=tenant)
    assert "errors" not in await api.post(STORES, token=token)
    assert await tokens.revoke(token_id)
    assert error_codes(await api.post(STORES, token=token)) == ["UNAUTHENTICATED"]


async def test_admin_only_operations_are_forbidden_to_a_tenant(api: Api, token: str) -> None:
    assert error_codes(await api.post(TENANTS, token=token)) == ["FORBIDDEN"]
    body = await api.post(CREATE, create_input("theirs", tenant="someone-else"), token)
    assert error_codes(body) == ["FORBIDDEN"]


async def test_bad_input_names_the_field_and_appends_no_event(
    api: Api, token: str, pool: asyncpg.Pool
) -> None:
    before = await last_event(pool)
    cases = {
        "name": create_input("Not A DNS Label"),
        "plan": create_input("ok-name", plan="gigantic"),
        "idempotencyKey": create_input("ok-name", idempotencyKey=""),
    }
    for field, variables in cases.items():
        body = await api.post(CREATE, variables, token)
        assert error_codes(body) == ["VALIDATION_FAILED"], body
        assert body["errors"][0]["extensions"]["field"] == field
    assert await last_event(pool) == before


async def test_limits_on_pages_depth_cursors_and_documents_are_validation_errors(
    api: Api, token: str
) -> None:
    too_many = await api.post(STORES, {"first": TEST_CONFIG.max_page_size + 1}, token)
    assert error_codes(too_many) == ["VALIDATION_FAILED"]
    assert too_many["errors"][0]["extensions"]["field"] == "first"
    bad_cursor = await api.post(STORES, {"after": "not-a-cursor"}, token)
    assert bad_cursor["errors"][0]["extensions"]["field"] == "after"
    deepest_of_the_contract = "{ stores { edges { node { events { data } steps { name } } } } }"
    assert "errors" not in await api.post(deepest_of_the_contract, token=token)
    unknown = await api.post("{ stores { nope } }", token=token)
    assert error_codes(unknown) == ["VALIDATION_FAILED"]


async def test_a_document_deeper_than_the_limit_is_refused(
    database_url: str, service: StoreService, token: str
) -> None:
    shallow = dataclasses.replace(TEST_CONFIG, max_query_depth=3)
    async with serving(database_url, service, shallow, runner=False) as other:
        too_deep = "{ stores { edges { node { steps { name } } } } }"
        body = await other.api.post(too_deep, token=token)
        assert error_codes(body) == ["VALIDATION_FAILED"]
        assert "depth" in body["errors"][0]["message"]
        assert "errors" not in await other.api.post("{ stores { edges { node { id } } } }", token=token)


async def test_an_unknown_or_malformed_id_is_not_found_or_invalid(api: Api, token: str) -> None:
    assert error_codes(await api.post(STORE, {"id": str(uuid4())}, token)) == ["NOT_FOUND"]
    malformed = await api.post(STORE, {"id": "../etc/passwd"}, token)
    assert error_codes(malformed) == ["VALIDATION_FAILED"]
    assert malformed["errors"][0]["extensions"]["field"] == "id"


async def test_a_taken_name_and_an_illegal_transition_are_conflicts(api: Api, token: str) -> None:
    store = (await api.data(CREATE, create_input("twice"), token))["createStore"]["store"]
    assert error_codes(await api.post(CREATE, create_input("twice"), token)) == ["CONFLICT"]
    assert error_codes(await api.post(RETRY, {"id": store["id"]}, token)) == ["CONFLICT"]


async def test_the_quota_stops_creates_at_the_limit(api: Api, token: str) -> None:
    for i in range(TEST_CONFIG.max_live_stores):
        await api.data(CREATE, create_input(f"s{i}"), token)
    over = await api.post(CREATE, create_input("one-too-many"), token)
    assert error_codes(over) == ["QUOTA_EXCEEDED"]
    assert over["errors"][0]["extensions"]["limit"] == TEST_CONFIG.max_live_stores


async def test_a_repeated_keyed_create_is_answered_at_the_limit_and_a_new_key_is_not(
    api: Api, token: str
) -> None:
    first = await api.data(CREATE, create_input("keyed", idempotencyKey="k-limit"), token)
    for i in range(TEST_CONFIG.max_live_stores - 1):
        await api.data(CREATE, create_input(f"fill{i}"), token)
    again = await api.data(CREATE, create_input("keyed", idempotencyKey="k-limit"), token)
    assert again["createStore"]["store"]["id"] == first["createStore"]["store"]["id"]
    other = await api.post(CREATE, create_input("keyed-2", idempotencyKey="k-other"), token)
    assert error_codes(other) == ["QUOTA_EXCEEDED"]


async def test_concurrent_creates_never_exceed_the_quota(api: Api, token: str, tenant: str) -> None:
    attempts = 2 * TEST_CONFIG.max_live_stores
    bodies = await asyncio.gather(
        *(api.post(CREATE, create_input(f"race-{i}"), token) for i in range(attempts))
    )
    created = [b for b in bodies if "errors" not in b]
    refused = [code for b in bodies for code in error_codes(b)]
    assert len(created) == TEST_CONFIG.max_live_stores
    assert refused == ["QUOTA_EXCEEDED"] * (attempts - TEST_CONFIG.max_live_stores)
    await api.listed(token, TEST_CONFIG.max_live_stores)
    listed = (await api.data(STORES, {}, token))["stores"]
    assert listed["totalCount"] == TEST_CONFIG.max_live_stores


async def test_a_deleted_store_frees_its_quota_slot(api: Api, token: str) -> None:
    ids = []
    for i in range(TEST_CONFIG.max_live_stores):
        ids.append((await api.data(CREATE, create_input(f"q{i}"), token))["createStore"]["store"]["id"])
    await api.data("mutation($id: ID!) { deleteStore(id: $id) { store { id } } }", {"id": ids[0]}, token)
    assert "errors" not in await api.post(CREATE, create_input("replacement"), token)


async def test_a_burst_of_mutations_past_the_bucket_is_rate_limited(
    api: Api, tokens: TokenStore, tenant: str
) -> None:
    _, token = await tokens.create(tenant=tenant)
    # Twice the bucket at once: far more than it refills while they arrive.
    bodies = await asyncio.gather(
        *(api.post(RETRY, {"id": str(uuid4())}, token) for _ in range(2 * TEST_CONFIG.mutation_burst))
    )
    codes = [error_codes(b)[0] for b in bodies]
    assert "RATE_LIMITED" in codes
    limited = next(b for b in bodies if error_codes(b) == ["RATE_LIMITED"])
    assert limited["errors"][0]["extensions"]["retryAfter"] > 0
    # Reads are not rate limited.
    assert "errors" not in await api.post(STORES, token=token)


async def test_an_oversized_body_is_refused_before_parsing(api: Api, token: str) -> None:
    query = "{ me { tenant } }" + " " * TEST_CONFIG.max_body_bytes
    response = await api.http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 413
    assert error_codes(response.json()) == ["VALIDATION_FAILED"]


async def test_errors_never_carry_a_stack_trace(api: Api, token: str) -> None:
    body = await api.post(CREATE, create_input("Bad Name"), token)
    assert set(body["errors"][0]) <= {"message", "locations", "path", "extensions"}
    assert "Traceback" not in str(body)
