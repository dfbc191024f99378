"""At the door: free text with control characters, NUL or lone surrogates — in a field, a search
string or the correlation-id header — is VALIDATION_FAILED naming the field, and appends nothing.
Such a value once accepted is an immutable event no projection can write."""

from __future__ import annotations

import json

import asyncpg
import pytest

from tests.api.client import Api, error_codes
from tests.api.documents import CREATE, create_input

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def last_event(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT coalesce(max(notification_id), 0) FROM storeplane_events"))


@pytest.mark.parametrize(
    ("field", "fields"),
    [
        pytest.param("name", {"name": "shop\x00"}, id="NUL in the name"),
        pytest.param("idempotencyKey", {"idempotencyKey": "key\x00"}, id="NUL in the key"),
        pytest.param("idempotencyKey", {"idempotencyKey": "k\x1b[2J"}, id="escape in the key"),
        pytest.param("idempotencyKey", {"idempotencyKey": "k\ud800"}, id="lone surrogate"),
        pytest.param("plan", {"plan": "small\x00"}, id="NUL in the plan"),
        pytest.param("tenant", {"tenant": "acme\x00"}, id="NUL in the tenant"),
    ],
)
async def test_a_create_with_bad_text_names_the_field_and_appends_nothing(
    field: str, fields: dict[str, str], api: Api, admin_token: str, pool: asyncpg.Pool
) -> None:
    variables = create_input(fields.pop("name", "shop"), **{"tenant": "acme", **fields})
    before = await last_event(pool)
    # Escaped JSON (\\u0000, \\ud800), as a client sends it; the server decodes it to the raw text.
    response = await api.http.post(
        "/graphql", content=json.dumps({"query": CREATE, "variables": variables}),
        headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"},
    )
    body = response.json()
    assert error_codes(body) == ["VALIDATION_FAILED"], body
    assert body["errors"][0]["extensions"]["field"] == field
    assert await last_event(pool) == before


async def test_a_search_string_with_nul_is_a_validation_error(api: Api, token: str) -> None:
    body = await api.post('{ stores(nameContains: "a\\u0000b") { totalCount } }', token=token)
    assert error_codes(body) == ["VALIDATION_FAILED"], body
    assert body["errors"][0]["extensions"]["field"] == "nameContains"


@pytest.mark.parametrize(
    "correlation_id",
    [pytest.param("has spaces in it", id="spaces"), pytest.param("x" * 65, id="too long"),
     pytest.param("caf\u00e9", id="not ASCII")],
)
async def test_a_bad_correlation_id_header_refuses_the_command(
    correlation_id: str, api: Api, token: str, pool: asyncpg.Pool
) -> None:
    before = await last_event(pool)
    response = await api.http.post(
        "/graphql", json={"query": CREATE, "variables": create_input("tagged")},
        headers={"Authorization": f"Bearer {token}",
                 "x-correlation-id": correlation_id.encode()},  # type: ignore[dict-item]
    )
    body = response.json()
    assert error_codes(body) == ["VALIDATION_FAILED"], body
    assert body["errors"][0]["extensions"]["field"] == "correlationId"
    assert await last_event(pool) == before


async def test_a_store_cannot_be_created_for_a_reserved_tenant(
    api: Api, admin_token: str, pool: asyncpg.Pool
) -> None:
    before = await last_event(pool)
    for tenant in ("admin", "system", "kube-system"):
        body = await api.post(CREATE, create_input("shop", tenant=tenant), admin_token)
        assert error_codes(body) == ["VALIDATION_FAILED"], body
        assert body["errors"][0]["extensions"]["field"] == "tenant"
    own = await api.post(CREATE, create_input("shop"), admin_token)  # an admin's own tenant is "admin"
    assert error_codes(own) == ["VALIDATION_FAILED"], own
    assert await last_event(pool) == before
