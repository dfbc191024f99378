"""Where a store answers shoppers, and whether anything real runs behind it. Pure.

Fed by the readiness action with the store namespace's Ingresses, the EndpointSlices of the
Service behind the store's host, the nodes those endpoints run on and the credentials Secret (plain
JSON); feeds it with the requests to make, the Service and port to call them through the API
server's service proxy, and with the reason to skip
the call when every endpoint is on a node kwok simulates (no container runs there, so nothing
could answer: skipping says so instead of failing a store that is as ready as kwok can make it).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from domain.catalog import Engine


@dataclass(frozen=True)
class Probe:
    """One request of a shopper's first visit, answered below HTTP 400 when the store serves."""

    path: str
    # Sent with the publishable key the store's seed stored in its credentials Secret: Medusa's
    # Store API refuses every call without one, so this proves the seed ran, not only the server.
    with_publishable_key: bool = False
    # Made only when the chart ran a setup Job of this component (Medusa's seed is optional:
    # without it there is no key, and the store is as ready as its chart made it).
    after_job: str | None = None


PUBLISHABLE_KEY_HEADER = "x-publishable-api-key"
PUBLISHABLE_KEY_FIELD = "publishable-key"  # in the credentials Secret, written by Medusa's seed Job
# Per engine: Medusa's health endpoint, then its product list as a storefront asks for it;
# WordPress's home page.
SHOPPER_PROBES: dict[str, tuple[Probe, ...]] = {
    Engine.MEDUSA.value: (
        Probe("/health"), Probe("/store/products", with_publishable_key=True, after_job="seed"),
    ),
    Engine.WOOCOMMERCE.value: (Probe("/"),),
}


SETUP_JOB_SELECTOR = "storeplane.dev/setup-job=true"  # the charts' contract: migrations, seed, setup


@dataclass(frozen=True)
class SetupJobs:
    """Where a store's setup Jobs are: names still running, and failed ones with their reason."""

    running: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    components: tuple[str, ...] = ()  # `app.kubernetes.io/component` of every setup Job


def probes_for(engine: str, jobs: SetupJobs | None = None) -> tuple[Probe, ...]:
    """The engine's probes, without those whose setup Job the chart did not run."""
    ran = jobs.components if jobs else ()
    probes = SHOPPER_PROBES.get(engine, (Probe("/"),))
    return tuple(p for p in probes if p.after_job is None or p.after_job in ran)


def setup_jobs(jobs: list[dict[str, Any]]) -> SetupJobs:
    """Reads the Jobs' conditions: `Failed` (with its message) or `Complete` ends a Job; anything
    else is still running, and a store is not ready for shoppers until its setup has finished."""
    running: list[str] = []
    failed: list[tuple[str, str]] = []
    components: set[str] = set()
    for job in jobs:
        metadata = job.get("metadata") or {}
        name = str(metadata.get("name", "?"))
        if component := (metadata.get("labels") or {}).get("app.kubernetes.io/component"):
            components.add(str(component))
        conditions = {
            c.get("type"): c for c in (job.get("status") or {}).get("conditions") or []
            if c.get("status") == "True"
        }
        if "Failed" in conditions:
            failure = conditions["Failed"]
            failed.append((name, str(failure.get("message") or failure.get("reason"))))
        elif "Complete" not in conditions:
            running.append(name)
    return SetupJobs(tuple(sorted(running)), tuple(sorted(failed)), tuple(sorted(components)))


def publishable_key(secret: dict[str, Any] | None) -> str | None:
    """The publishable key in a credentials Secret (its `data` is base64), or None."""
    encoded = ((secret or {}).get("data") or {}).get(PUBLISHABLE_KEY_FIELD)
    if not encoded:
        return None
    try:
        key = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return key.strip() or None

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
