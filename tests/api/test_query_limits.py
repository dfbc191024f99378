"""Queries cannot starve the server: documents over the size limits are refused before they are
parsed or their token looked up; operations over the cost limit never run; a tenant's query budget
and mutation rate are one, whichever API process it calls; GET only queries; introspection is for
authenticated callers; every refusal is typed.

Each test is an attack that worked before: 64 KiB of `{ me { tenant } }` parsed and validated for
over a second with no token; 30 aliases x 100 stores x 100 events ran ~3,000 queries; every API
process granted its own mutation rate; anyone could read the schema."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio

from graphql_api.config import ApiConfig
from graphql_api.loaders import Loaders
from projections.queries import ReadModel
from storeplane.database import open_service
from tests.api.client import Api, error_codes
from tests.api.conftest import TEST_CONFIG, Running, serving
from tests.api.documents import CREATE, ME, RETRY, STORES, create_input

pytestmark = pytest.mark.asyncio(loop_scope="session")

INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest_asyncio.fixture(loop_scope="session")
async def own_api(make_database: Callable[[], str]) -> AsyncIterator[Callable[[ApiConfig], Any]]:
    """Starts APIs with configs of the test's own, on one database of its own (like several
    API processes of one deployment)."""
    database = make_database()
    app = open_service(database)
    stack: list[Any] = []

    async def start(config: ApiConfig) -> Running:
        context = serving(database, app, config, runner=not stack)
        stack.append(context)
        return await context.__aenter__()

    try:
        yield start
    finally:
        for context in reversed(stack):
            await context.__aexit__(None, None, None)
        app.close()


async def test_a_huge_document_is_refused_before_parsing_and_before_auth(api: Api) -> None:
    query = "{ me { tenant } }" * (60 * 1024 // len("{ me { tenant } }"))
    response = await api.http.post("/graphql", json={"query": query})  # no token at all
    assert response.status_code == 400
    body = response.json()
    assert error_codes(body) == ["VALIDATION_FAILED"]
    assert "tokens" in body["errors"][0]["message"]


async def test_too_many_aliases_or_too_deep_nesting_are_refused_before_parsing(api: Api) -> None:
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    body = (await api.http.post("/graphql", json={"query": aliases})).json()
    assert error_codes(body) == ["VALIDATION_FAILED"]
    assert "aliases" in body["errors"][0]["message"]
    deep = "{ a " * 400 + "}" * 400  # a recursive parser pays for nesting with its stack
    body = (await api.http.post("/graphql", json={"query": deep})).json()
    assert error_codes(body) == ["VALIDATION_FAILED"]
    assert "nests" in body["errors"][0]["message"]


async def test_arguments_are_not_counted_as_aliases(api: Api, token: str) -> None:
    query = "query($a: Int, $b: String) { stores(first: $a, after: $b) { totalCount } }"
    assert "errors" not in await api.post(query, {"a": 5}, token)


async def test_an_operation_multiplying_pages_past_the_cost_limit_never_runs(
    api: Api, token: str
) -> None:
    fields = " ".join(
        f"s{i}: stores(first: 100) {{ edges {{ node {{ events(first: 100) {{ sequence }} }} }} }}"
        for i in range(30)
    )
    body = await api.post("{ " + fields + " }", token=token)
    assert error_codes(body) == ["VALIDATION_FAILED"]
    assert body["errors"][0]["extensions"]["cost"] > TEST_CONFIG.max_query_cost
    assert body.get("data") is None
    # The page size given in a variable counts as well.
    query = "query($n: Int) { stores(first: $n) { nodes { events(first: $n) { sequence } } } }"
    assert error_codes(await api.post(query, {"n": 100}, token)) == ["VALIDATION_FAILED"]
    assert "errors" not in await api.post(query, {"n": 10}, token)


async def test_the_events_of_a_page_of_stores_are_read_in_one_query(
    running: Running, api: Api, token: str
) -> None:
    ids = [(await api.data(CREATE, create_input(f"dl{i}"), token))["createStore"]["store"]["id"]
           for i in range(3)]
    read_model = running.services.read_model

    class Counting(ReadModel):
        """The real read model on the real pool, counting the queries sent through it."""

        def __init__(self) -> None:
            super().__init__(read_model.pool, read_model.schema)
            self.fetches = 0
            real = read_model.pool

            class Pool:
                async def fetch(self_inner, *args: Any) -> Any:
                    counting.fetches += 1
                    return await real.fetch(*args)

            self.pool = Pool()  # type: ignore[assignment]

    counting = Counting()
    loaders = Loaders(counting)
    rows = [loaders.events.load((UUID(i), 0, 50)) for i in ids]
    batched = await asyncio.gather(*rows)
    assert counting.fetches == 1
    for store_id, found in zip(ids, batched, strict=True):
        assert found == await read_model.events(after=0, store_id=UUID(store_id), limit=50)


async def test_the_provisioning_times_of_a_page_of_stores_are_read_in_one_query(
    running: Running, api: Api, token: str
) -> None:
    ids = [(await api.data(CREATE, create_input(f"pt{i}"), token))["createStore"]["store"]["id"]
           for i in range(3)]
    read_model = running.services.read_model
    for store_id in ids:  # the feed follows the events by milliseconds
        for _ in range(100):
            if await read_model.latest_attempt(UUID(store_id)):
                break
            await asyncio.sleep(0.05)
    queries: list[list[UUID]] = []
    real = read_model.latest_attempts

    async def counted(store_ids: list[UUID], **kwargs: Any) -> Any:
        queries.append(store_ids)
        return await real(store_ids, **kwargs)

    read_model.latest_attempts = counted  # type: ignore[method-assign]
    try:
        loaders = Loaders(read_model)
        batched = await asyncio.gather(*(loaders.latest_attempts.load(UUID(i)) for i in ids))
    finally:
        del read_model.latest_attempts
    assert len(queries) == 1
    for store_id, found in zip(ids, batched, strict=True):
        assert found == await read_model.latest_attempt(UUID(store_id))
        assert [step for step, _ in found] == ["Requested"]


async def test_a_get_may_only_query_and_is_limited_in_length(api: Api, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    ok = await api.http.get("/graphql", params={"query": ME}, headers=headers)
    assert ok.status_code == 200
    assert "errors" not in ok.json()
    mutation = RETRY.replace("$id: ID!", "").replace("$id", f'"{uuid4()}"')
    refused = await api.http.get("/graphql", params={"query": mutation}, headers=headers)
    assert error_codes(refused.json()) == ["VALIDATION_FAILED"]
    long = await api.http.get("/graphql", params={"query": ME + " " * 5000}, headers=headers)
    assert long.status_code == 414
    assert error_codes(long.json()) == ["VALIDATION_FAILED"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'[{"query": "{ plans { name } }"}]', b'{"query": 42}',
     b'{"query": "{ plans { name } }", "variables": []}', b'{"query": null}'],
    ids=["not-json", "a-list", "a-batch", "query-not-a-string", "variables-not-an-object",
         "no-query"],
)
async def test_malformed_requests_get_typed_errors(api: Api, body: bytes) -> None:
    response = await api.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert error_codes(response.json()) == ["VALIDATION_FAILED"]


async def test_introspection_needs_a_token(api: Api, token: str) -> None:
    assert error_codes(await api.post(INTROSPECTION)) == ["UNAUTHENTICATED"]
    fragment = "{ ...F } fragment F on Query { __type(name: \"Store\") { name } }"
    assert error_codes(await api.post(fragment)) == ["UNAUTHENTICATED"]
    assert (await api.data(INTROSPECTION, token=token))["__schema"]["queryType"]["name"] == "Query"
    assert "errors" not in await api.post("{ __typename }")  # not introspection of the schema


async def test_production_can_switch_introspection_off(own_api: Any, tenant: str) -> None:
    running = await own_api(dataclasses.replace(TEST_CONFIG, introspection=False))
    _, token = await running.services.tokens.create(tenant=tenant)
    body = await running.api.post(INTROSPECTION, token=token)
    assert error_codes(body) == ["VALIDATION_FAILED"]


async def test_the_mutation_rate_is_one_per_tenant_across_api_processes(
    own_api: Any, tenant: str
) -> None:
    config = dataclasses.replace(TEST_CONFIG, mutation_rate_per_second=0.01, mutation_burst=3)
    first, second = await own_api(config), await own_api(config)
    _, one = await first.services.tokens.create(tenant=tenant)
    _, other = await second.services.tokens.create(tenant=tenant)  # another token, same tenant
    for _ in range(3):
        assert error_codes(await first.api.post(RETRY, {"id": str(uuid4())}, one)) == ["NOT_FOUND"]
    # The other process, the other token: the tenant's bucket is empty all the same.
    body = await second.api.post(RETRY, {"id": str(uuid4())}, other)
    assert error_codes(body) == ["RATE_LIMITED"]
    assert body["errors"][0]["extensions"]["retryAfter"] > 0


async def test_a_tenants_query_budget_is_shared_and_spent_by_cost(own_api: Any, tenant: str) -> None:
    config = dataclasses.replace(TEST_CONFIG, query_budget=350, query_budget_rate=0.01)
    first, second = await own_api(config), await own_api(config)
    _, token = await first.services.tokens.create(tenant=tenant)
    page = "{ stores(first: 100) { nodes { id name } } }"  # costs 301: 1 + 3 x 100
    assert "errors" not in await first.api.post(page, token=token)
    body = await second.api.post(page, token=token)
    assert error_codes(body) == ["RATE_LIMITED"]
    assert body["data"] is None


async def test_failed_authentications_are_limited_per_client_address(
    own_api: Any, tenant: str
) -> None:
    running = await own_api(dataclasses.replace(TEST_CONFIG, auth_failure_burst=3,
                                                auth_failure_rate=0.01))
    _, good = await running.services.tokens.create(tenant=tenant)
    assert "errors" not in await running.api.post(ME, token=good)  # known good: cached
    codes = [error_codes(await running.api.post(ME, token=f"sp_{i:08x}_guess"))[0] for i in range(5)]
    assert codes[:3] == ["UNAUTHENTICATED"] * 3
    assert codes[3:] == ["RATE_LIMITED"] * 2
    assert "errors" not in await running.api.post(ME, token=good)
    assert error_codes(await running.api.post(STORES)) == ["UNAUTHENTICATED"]  # no token: no lookup
