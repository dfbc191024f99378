"""storeplane's API as a browser or a script reaches it on the local cluster: through Traefik.

Fed by the platform chart's ``values-local.yaml`` (the Ingress host, served by the real node's
Traefik at 127.0.0.1:80); feeds ``test_platform_on_node`` and the upgrade burst with GraphQL over
HTTP (the Authorization header included, which the API server's service proxy would drop), the
dashboard's files and a ``graphql-transport-ws`` subscription. Python does not resolve
``*.localhost`` by itself, so every call connects to the ingress address and names the host.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from websockets.sync.client import ClientConnection, connect

from storeplane.localcluster import nodeconfig as nc

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "storeplane"
HOST: str = yaml.safe_load((CHART / "values-local.yaml").read_text())["api"]["ingress"]["host"]
CREATE = """mutation($input: CreateStoreInput!) {
  createStore(input: $input) { store { id status namespace } } }"""
DELETE = "mutation($id: ID!) { deleteStore(id: $id) { store { id status } } }"
STORE = "query($id: ID!) { store(id: $id) { status statusReason namespace } }"
SCRIPT = re.compile(r'<script[^>]*\ssrc="(/assets/[^"]+\.js)"')


class GraphQLError(AssertionError):
    """The API answered, but not with data: the status and the body say why."""


def post(
    token: str, query: str, variables: dict[str, Any], timeout: float = 30
) -> tuple[int, dict[str, Any]]:
    """POST /graphql through the ingress: (status, JSON body, or {"text": ...} when not JSON).
    Raises OSError when the connection fails or drops before the answer."""
    connection = http.client.HTTPConnection(nc.INGRESS_ADDRESS, nc.INGRESS_PORT, timeout=timeout)
    try:
        body = json.dumps({"query": query, "variables": variables})
        headers = {"Host": HOST, "Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request("POST", "/graphql", body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
    finally:
        connection.close()
    try:
        parsed: dict[str, Any] = json.loads(text)
    except ValueError:
        parsed = {"text": text[:300]}
    return response.status, parsed


def send_and_hang_up(token: str, query: str, variables: dict[str, Any]) -> None:
    """Send a GraphQL POST and close the socket without reading the answer: a client whose
    connection dropped mid-request (the request may or may not have been carried out)."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((nc.INGRESS_ADDRESS, nc.INGRESS_PORT), timeout=10) as sock:
        sock.sendall(head + body)


def data(token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    status, body = post(token, query, variables)
    if status != 200 or body.get("errors") or "data" not in body:
        raise GraphQLError(f"GraphQL through {HOST} answered {status}: {body}")
    result: dict[str, Any] = body["data"]
    return result


def create(token: str, name: str, key: str | None = None, tenant: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": name, "engine": "WOOCOMMERCE", "idempotencyKey": key}
    if tenant:
        fields["tenant"] = tenant
    store: dict[str, Any] = data(token, CREATE, {"input": fields})["createStore"]["store"]
    return store


def status(token: str, store_id: str) -> dict[str, Any]:
    store: dict[str, Any] = data(token, STORE, {"id": store_id})["store"]
    return store


def get(path: str) -> tuple[int, str, str]:
    """(status, Content-Type, body) of GET ``path`` on the platform's host through the ingress."""
    connection = http.client.HTTPConnection(nc.INGRESS_ADDRESS, nc.INGRESS_PORT, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": HOST})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        return response.status, response.getheader("Content-Type", ""), body
    finally:
        connection.close()


def script_of(html: str) -> str:
    """The path of the JS bundle the dashboard's page loads."""
    found = SCRIPT.search(html)
    assert found, f"no /assets/*.js script in the dashboard's page: {html[:500]}"
    return found.group(1)


@contextmanager
def subscription(token: str, query: str, timeout: float = 30) -> Iterator[ClientConnection]:
    """A ``graphql-transport-ws`` socket through the ingress, acknowledged and subscribed as id "1"."""
    sock = socket.create_connection((nc.INGRESS_ADDRESS, nc.INGRESS_PORT), timeout=timeout)
    with connect(
        f"ws://{HOST}/graphql", sock=sock, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=timeout,
    ) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        acknowledged = json.loads(ws.recv(timeout))
        assert acknowledged["type"] == "connection_ack", acknowledged
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        yield ws


def next_data(ws: ClientConnection, timeout: float = 60) -> dict[str, Any]:
    """The next ``next`` message's data (errors and completions fail)."""
    message = json.loads(ws.recv(timeout))
    assert message["type"] == "next", message
    assert not message["payload"].get("errors"), message
    result: dict[str, Any] = message["payload"]["data"]
    return result
