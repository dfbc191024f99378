"""JSON over HTTP to a Service: through the API server's service proxy, or a port-forward.

Fed by the session cluster's kubeconfig (server URL, CA, admin client certificate); feeds the
real-node store checks with ``ServiceProxy.call``: the request reaches the Service's pods the
way ``kubectl proxy`` would, with the caller's own headers (a publishable key) passed through,
but not an Authorization header (see ``PortForward``).
"""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class ServiceProxy:
    server: str
    context: ssl.SSLContext
    namespace: str
    service: str  # "<name>:<port name or number>"

    @classmethod
    def from_kubeconfig(cls, kubeconfig: Path, namespace: str, service: str, scratch: Path) -> ServiceProxy:
        config = yaml.safe_load(kubeconfig.read_text())
        cluster = config["clusters"][0]["cluster"]
        user = config["users"][0]["user"]
        ca = _file(cluster, "certificate-authority", scratch, "ca.crt")
        context = ssl.create_default_context(cafile=ca)
        cert = _file(user, "client-certificate", scratch, "client.crt")
        context.load_cert_chain(cert, _file(user, "client-key", scratch, "client.key"))
        return cls(server=cluster["server"], context=context, namespace=namespace, service=service)

    def url(self, path: str) -> str:
        return f"{self.server}/api/v1/namespaces/{self.namespace}/services/{self.service}/proxy{path}"

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(status, decoded JSON body or text) of one request; HTTP errors are returned too."""
        return request(self.url(path), method, body, headers, self.context)


@dataclass(frozen=True)
class PortForward:
    """The same calls to a local port that ``kubectl port-forward`` serves.

    The API server deletes the Authorization header of every request it authenticated, so a
    bearer token for the store itself (Medusa's Admin API) cannot pass the service proxy.
    """

    base: str  # http://127.0.0.1:<port>

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        return request(f"{self.base}{path}", method, body, headers, None)


def request(
    url: str,
    method: str,
    body: dict[str, Any] | None,
    headers: dict[str, str] | None,
    context: ssl.SSLContext | None,
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    prepared = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (our URLs)
    prepared.add_header("Accept", "application/json")
    if data is not None:
        prepared.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        prepared.add_header(name, value)
    try:
        with urllib.request.urlopen(prepared, context=context, timeout=60) as response:  # noqa: S310
            return response.status, _decode(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _decode(error.read())


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _file(section: dict[str, str], key: str, scratch: Path, name: str) -> str:
    """A kubeconfig credential as a file path (kwokctl writes paths; inline data is written out)."""
    if key in section:
        return section[key]
    path = Path(tempfile.mkdtemp(dir=scratch)) / name
    path.write_bytes(base64.b64decode(section[f"{key}-data"]))
    return str(path)
