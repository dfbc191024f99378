"""Where a store answers shoppers, and whether anything real runs behind it. Pure.

Fed by the readiness action with the store namespace's Ingresses, the EndpointSlices of the
Service behind the store's host, and the nodes those endpoints run on (plain JSON); feeds it with
the Service and port to call through the API server's service proxy, and with the reason to skip
the call when every endpoint is on a node kwok simulates (no container runs there, so nothing
could answer: skipping says so instead of failing a store that is as ready as kwok can make it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.catalog import Engine

# What a shopper's first request is, per engine: Medusa's health endpoint (the Store API needs
# a publishable key the seed writes later), WordPress's home page.
SERVING_PATHS: dict[str, str] = {Engine.MEDUSA.value: "/health", Engine.WOOCOMMERCE.value: "/"}
# kwok marks the nodes it manages with this annotation (value "fake").
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"


@dataclass(frozen=True)
class Backend:
    """The Service (and its port, a number or a name) the store's host is routed to."""

    service: str
    port: str

    def proxy_path(self, namespace: str, path: str) -> str:
        return f"/api/v1/namespaces/{namespace}/services/{self.service}:{self.port}/proxy{path}"


def backend_for(ingresses: list[dict[str, Any]], host: str) -> Backend | None:
    """The backend of the rule for `host` (path `/`, or the first path), or None without one."""
    for ingress in ingresses:
        for rule in (ingress.get("spec") or {}).get("rules") or []:
            if rule.get("host") != host:
                continue
            paths = (rule.get("http") or {}).get("paths") or []
            ordered = sorted(paths, key=lambda p: p.get("path") != "/")
            for entry in ordered:
                service = (entry.get("backend") or {}).get("service") or {}
                port = service.get("port") or {}
                number, name = port.get("number"), port.get("name")
                if service.get("name") and (number or name):
                    return Backend(str(service["name"]), str(number or name))
    return None


def endpoint_nodes(slices: list[dict[str, Any]]) -> set[str]:
    """The nodes of the ready endpoints of a Service (a missing `ready` condition means ready)."""
    nodes: set[str] = set()
    for endpoint_slice in slices:
        for endpoint in endpoint_slice.get("endpoints") or []:
            ready = (endpoint.get("conditions") or {}).get("ready")
            if ready is not False and endpoint.get("nodeName"):
                nodes.add(str(endpoint["nodeName"]))
    return nodes


def simulated(nodes: list[dict[str, Any]]) -> bool:
    """Whether every one of `nodes` (at least one) is a kwok node."""
    return bool(nodes) and all(
        ((n.get("metadata") or {}).get("annotations") or {}).get(KWOK_NODE_ANNOTATION) == "fake"
        for n in nodes
    )
