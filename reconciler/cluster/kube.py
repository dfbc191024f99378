"""Access to the Kubernetes API: where the credentials come from, and a small JSON-over-REST client.

Fed by KUBECONFIG (a file) or the in-cluster service account; feeds the observer and the actions
with plain dicts (Kubernetes' own camelCase JSON), server-side apply and conditional creates.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.rest import ApiException
from yarl import URL

FIELD_MANAGER = "storeplane-reconciler"
_JSON = {"Accept": "application/json"}


class NoClusterConfigured(RuntimeError):
    """Neither KUBECONFIG nor an in-cluster service account is available."""


@dataclass(frozen=True)
class KubeAccess:
    """How to reach the cluster: a kubeconfig file, or the pod's service account when None."""

    kubeconfig: Path | None

    @classmethod
    def from_env(cls) -> KubeAccess:
        if os.environ.get("KUBECONFIG"):
            return cls(Path(os.environ["KUBECONFIG"]).expanduser())
        if os.environ.get("KUBERNETES_SERVICE_HOST"):
            return cls(None)
        raise NoClusterConfigured("set KUBECONFIG, or run inside a cluster")

    @asynccontextmanager
    async def connect(self, *, request_timeout: timedelta) -> AsyncIterator[Kube]:
        configuration = client.Configuration()
        if self.kubeconfig is not None:
            await config.load_kube_config(
                config_file=str(self.kubeconfig), client_configuration=configuration,
                persist_config=False,
            )
        else:
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        async with client.ApiClient(configuration) as api:
            await _look_up_the_environment_once(api, configuration)
            yield Kube(api, request_timeout.total_seconds())


async def _look_up_the_environment_once(api: client.ApiClient, configuration: client.Configuration) -> None:
    """kubernetes-asyncio opens its aiohttp session with `trust_env=True`, so aiohttp reads the
    proxy variables and `~/.netrc` again on every request: a tenth of the reconciler's event loop
    at 10 new stores a second (issue 17). The proxy is looked up here once, the way aiohttp does it
    (HTTPS_PROXY, NO_PROXY; a kubeconfig's own `proxy-url` still wins), and the session is replaced
    by one on the same connector that does not look again. `.netrc` is not read at all: the API
    server takes a token or a client certificate, never a netrc password."""
    rest = api.rest_client
    if configuration.proxy is None:
        try:
            proxy, auth = get_env_proxy_for_url(URL(configuration.host or ""))
        except LookupError:
            pass
        else:
            rest.proxy = str(proxy)
            if auth is not None:
                rest.proxy_headers = {**(rest.proxy_headers or {}), "Proxy-Authorization": auth.encode()}
    looking = rest.pool_manager
    rest.pool_manager = aiohttp.ClientSession(
        connector=looking.connector, trust_env=False, read_bufsize=2**21,  # as kubernetes-asyncio's
    )
    looking.detach()  # the connector now belongs to the new session
    await looking.close()


class Kube:
    def __init__(self, api: client.ApiClient, request_timeout: float) -> None:
        self.api = api
        self.request_timeout = request_timeout

    async def _call(
        self, method: str, path: str, *, body: Any = None, query: list[tuple[str, str]] | None = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.api.call_api(
            path, method, query_params=query or [], header_params={**_JSON, "Content-Type": content_type},
            body=body, response_types_map={200: "object", 201: "object", 202: "object"},
            auth_settings=["BearerToken"], _return_http_data_only=True,
            _request_timeout=self.request_timeout,
        )
        return result

    async def get(self, path: str) -> dict[str, Any] | None:
        try:
            return await self._call("GET", path)
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    async def status_of(self, path: str, *, within: float, headers: dict[str, str] | None = None) -> int:
        """GETs `path` (any content, e.g. a store's page through the service proxy) and returns
        the HTTP status; the body is dropped unread. Connection errors and timeouts raise."""
        response = await self.api.call_api(
            path, "GET", header_params={"Accept": "*/*", **(headers or {})}, auth_settings=["BearerToken"],
            _preload_content=False, _request_timeout=within,
        )
        try:
            return int(response.status)
        finally:
            response.release()

    async def items(self, path: str, *, query: list[tuple[str, str]] | None = None) -> list[dict[str, Any]]:
        listed = await self._call("GET", path, query=query)
        items: list[dict[str, Any]] = listed.get("items") or []
        return items

    async def apply(self, path: str, manifest: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply: creates or updates to exactly our fields, taking them over if changed."""
        return await self._call(
            "PATCH", path, body=manifest, query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
            content_type="application/apply-patch+yaml",
        )

    async def create(self, collection: str, manifest: dict[str, Any]) -> bool:
        """Creates unless it exists; True when this call created it."""
        try:
            await self._call("POST", collection, body=manifest)
        except ApiException as error:
            if error.status == 409:
                return False
            raise
        return True

    async def post(self, collection: str, manifest: dict[str, Any]) -> dict[str, Any]:
        """Creates and returns what the server answered (reviews answer with their verdict)."""
        return await self._call("POST", collection, body=manifest)

    async def merge_patch(self, path: str, patch: dict[str, Any]) -> None:
        await self._call("PATCH", path, body=patch, content_type="application/merge-patch+json")

    async def delete(self, path: str) -> bool:
        """Deletes (in the background); False when it was already gone."""
        try:
            await self._call("DELETE", path, body={"propagationPolicy": "Background"})
        except ApiException as error:
            if error.status == 404:
                return False
            raise
        return True


def core(namespace: str, kind: str = "", name: str = "") -> str:
    """The REST path of a core object: `core(ns)` is the namespace itself."""
    if not kind:
        return f"/api/v1/namespaces/{namespace}"
    return f"/api/v1/namespaces/{namespace}/{kind}" + (f"/{name}" if name else "")


def grouped(group_version: str, namespace: str, kind: str, name: str = "") -> str:
    return f"/apis/{group_version}/namespaces/{namespace}/{kind}" + (f"/{name}" if name else "")
