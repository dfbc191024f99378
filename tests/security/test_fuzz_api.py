"""A generated bad-input corpus against the real server: whatever comes in, the answer is typed.

The documents are built from the API's own schema by hypothesis-graphql (valid queries and
mutations with generated arguments, and invalid ones), and sent beside hand-written requests:
control characters, lone surrogates, huge numbers and strings, wrong types, malformed bodies.
Each goes to a real `storeplane api` process on a database of its own. For every response: it is
JSON, every error carries a code of the contract and none is INTERNAL; a mutation that did not
succeed appended no event (a document none of whose mutations answered data added no event).

The number of cases run is printed (`pytest -s`) and kept under about a minute of CI time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from graphql import GraphQLError, parse
from graphql.language import FieldNode, OperationDefinitionNode, OperationType, StringValueNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from graphql_api.config import ApiConfig
from graphql_api.errors import CODES
from graphql_api.metrics import ApiMetrics
from graphql_api.schema.root import build_schema
from storeplane.database import setup_schema
from tests.api.test_cli import free_port, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]
SDL = build_schema(ApiConfig(), ApiMetrics()).as_str()
CUSTOM_SCALARS = {
    "DateTime": st.sampled_from(["2026-01-01T00:00:00Z", "not a date", "", "9999-99-99T99:99Z"]).map(
        lambda v: StringValueNode(value=v)
    ),
    "JSON": st.just(StringValueNode(value="{}")),
}
STATS = {"cases": 0}


@dataclass
class Server:
    url: str
    conn: psycopg.Connection[Any]
    token: str
    http: httpx.Client

    def post(self, body: bytes | dict[str, Any], token: str | None = "self") -> httpx.Response:  # noqa: S107
        headers = {"content-type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {self.token if token == 'self' else token}"
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.http.post(self.url, content=content, headers=headers)

    def events(self) -> int:
        row = self.conn.execute("SELECT coalesce(max(notification_id), 0) FROM storeplane_events").fetchone()
        return int(row[0]) if row else 0


@pytest.fixture(scope="module")
def server(make_database: Any) -> Iterator[Server]:
    database_url = make_database()
    setup_schema(database_url)
    env = {**os.environ, "DATABASE_URL": database_url, "STOREPLANE_MUTATION_RATE": "10000",
           "STOREPLANE_MUTATION_BURST": "10000", "STOREPLANE_QUERY_BUDGET_RATE": "1000000",
           "STOREPLANE_MAX_LIVE_STORES": "1000"}
    tenant = f"fuzz-{uuid.uuid4().hex[:8]}"
    created = subprocess.run(
        [sys.executable, "-m", "storeplane.cli", "tokens", "create", "--tenant", tenant],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=True,
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "storeplane.cli", "api", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(port)
        with psycopg.connect(database_url, autocommit=True) as conn, httpx.Client(timeout=30) as http:
            yield Server(f"{base}/graphql", conn, created.stdout.strip(), http)
    finally:
        process.terminate()
        process.communicate(timeout=60)
        print(f"\nfuzzer: {STATS['cases']} cases sent")


def check(server: Server, body: bytes | dict[str, Any], token: str | None = "self") -> None:  # noqa: S107
    before = server.events()
    response = server.post(body, token)
    STATS["cases"] += 1
    assert response.status_code < 500, (body, response.text)
    answer = response.json()
    assert isinstance(answer, dict), answer
    errors = answer.get("errors") or []
    codes = [(e.get("extensions") or {}).get("code") for e in errors]
    assert all(code in CODES for code in codes), (body, errors)
    assert "INTERNAL" not in codes, (body, errors)
    new_events = server.events() - before
    if not _some_mutation_may_have_succeeded(body, errors):  # refused commands append nothing
        assert new_events == 0, (body, answer, new_events)


def _some_mutation_may_have_succeeded(body: bytes | dict[str, Any], errors: list[dict[str, Any]]) -> bool:
    """Whether a root mutation field of the document ran without an error of its own (it may have
    appended events even when a later field's error nulled the whole `data`)."""
    query = body.get("query") if isinstance(body, dict) else None
    if not isinstance(query, str) or any(not e.get("path") for e in errors):
        return False  # no document, or refused as a whole (parse, validation, variables, limits)
    try:
        document = parse(query)
    except GraphQLError:
        return False
    fields = {
        (selection.alias or selection.name).value
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode) and definition.operation == OperationType.MUTATION
        for selection in definition.selection_set.selections
        if isinstance(selection, FieldNode)
    }
    failed = {e["path"][0] for e in errors}
    return bool(fields - failed)


queries = from_schema(SDL, mode=Mode.POSITIVE, custom_scalars=CUSTOM_SCALARS)
negative = from_schema(SDL, mode=Mode.NEGATIVE, custom_scalars=CUSTOM_SCALARS)
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@FUZZ
@given(document=queries)
def test_generated_valid_documents_get_typed_answers(server: Server, document: str) -> None:
    check(server, {"query": document})


@FUZZ
@given(document=negative)
def test_generated_invalid_documents_get_typed_answers(server: Server, document: str) -> None:
    check(server, {"query": document})


@settings(FUZZ, max_examples=80)
@given(
    name=st.text(max_size=80),
    key=st.one_of(st.none(), st.text(max_size=300)),
    plan=st.text(max_size=30),
    engine=st.sampled_from(["WOOCOMMERCE", "MEDUSA", "woocommerce", "", "X" * 500]),
)
def test_generated_create_inputs_get_typed_answers_and_no_event_when_refused(
    server: Server, name: str, key: str | None, plan: str, engine: str
) -> None:
    check(server, {
        "query": "mutation($input: CreateStoreInput!) { createStore(input: $input) { store { id } } }",
        "variables": {"input": {"name": name, "engine": engine, "plan": plan, "idempotencyKey": key}},
    })


CREATE = "mutation($input: CreateStoreInput!) { createStore(input: $input) { store { id } } }"
HUGE = "x" * 60_000
HAND_WRITTEN: list[Any] = [
    # control characters, NUL, lone surrogates (as JSON escapes), in names, keys and ids
    *({"query": CREATE, "variables": {"input": {"name": text, "engine": "WOOCOMMERCE",
                                                "idempotencyKey": text}}}
      for text in ("\x00", "a\x00b", "\x1b[31mred", "\u202e", "\ud800", "\udfff", "a\ud83d", "\ufffe",
                   "shop\r\nX-Injected: 1", "😀" * 20)),
    *({"query": CREATE, "variables": {"input": {"name": "ok-name", "engine": "WOOCOMMERCE",
                                                "idempotencyKey": text}}}
      for text in ("\x00", "\ud800", "a\udfffb", "\x07\x08", HUGE[:10_000])),
    *({"query": "query($id: ID!) { store(id: $id) { id } }", "variables": {"id": value}}
      for value in ("\x00", "\ud800", "", " ", "00000000-0000-0000-0000-000000000000", HUGE, 5, True,
                    None, [], {})),
    *({"query": "query($n: Int) { stores(first: $n) { totalCount } }", "variables": {"n": value}}
      for value in (2**31, -(2**31) - 1, 2**63, 10**400, -1, 0, 1.5, "10", True, [], {}, None)),
    *({"query": "query($a: String) { stores(first: 1, after: $a) { totalCount } }", "variables": {"a": value}}
      for value in ("\x00", "\ud800", "!!!", HUGE[:30_000], "YQ==", 7)),
    *({"query": "query($v: Int, $at: DateTime) { storeAt(id: \"00000000-0000-0000-0000-000000000000\", "
                "version: $v, at: $at) { id } }", "variables": {"v": v, "at": at}}
      for v, at in ((1, "2026-13-45T99:99:99Z"), (None, "\ud800"), (2**40, None), (-5, "2026-01-01"),
                    (1, "2026-01-01T00:00:00"), (None, None), (1, 12))),
    *({"query": q} for q in (
        "{ stores(first: 100000000000000000000) { totalCount } }",
        "{ stores(first: 1e400) { totalCount } }",
        '{ store(id: "\\u0000") { id } }',
        '{ store(id: "\\ud800") { id } }',
        "{ stores(nameContains: \"" + "%" * 5000 + "\") { totalCount } }",
        "{ stores(nameContains: \"\\u0000\") { totalCount } }",
        "{ stores(status: [NOPE]) { totalCount } }",
        "{ __typename " * 50 + "}" * 50,
        "query { me { tenant } } mutation { retryStore(id: \"x\") { store { id } } }",
        "subscription { storeUpdated { id } }",
        "{ " + "a: __typename " * 2 + "}",
        "\x00",
        "{ me { tenant } ",
        "fragment F on Query { ...F } { ...F }",
    )),
    b"", b"{", b"null", b"[]", b"\xff\xfe", b'{"query": ["x"]}',
    b'{"query": "{ me { tenant } }", "variables": 5}',
    b'{"query": "query($n: Int) { stores(first: $n) { totalCount } }", "variables": {"n": NaN}}',
    b'{"query": "query($n: Int) { stores(first: $n) { totalCount } }", "variables": {"n": Infinity}}',
    b'{"query": "{ me { tenant } }", "operationName": 7}',
]


@pytest.mark.parametrize("body", HAND_WRITTEN, ids=lambda b: repr(b)[:40])
def test_hand_written_bad_inputs_get_typed_answers(server: Server, body: Any) -> None:
    check(server, body)


@pytest.mark.parametrize("token", ["garbage", "sp_x_y", "sp__", "Bearer", "sp_" + "a" * 5000, "sp_0_%00"])
def test_bad_tokens_get_typed_answers(server: Server, token: str) -> None:
    check(server, {"query": "{ me { tenant } }"}, token=token)
