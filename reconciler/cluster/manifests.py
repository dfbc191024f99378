"""What a store's namespace should hold besides its release: labels, quota, limits, network policy
and generated credentials, as plain manifests. Pure.

Fed by the store snapshot, its plan from the catalog and the settings; feeds the namespace,
guardrails and credentials actions (which apply them) and the observer (which compares them).
"""

from __future__ import annotations

import secrets
from typing import Any

from domain.catalog import Plan
from reconciler.cluster.charts import CREDENTIALS_SECRET
from reconciler.snapshot import StoreSnapshot

STORE_ID_LABEL = "storeplane.dev/store-id"
TENANT_LABEL = "storeplane.dev/tenant"
ENGINE_LABEL = "storeplane.dev/engine"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "storeplane"
QUOTA = "storeplane-quota"
LIMITS = "storeplane-limits"
NETWORK_POLICY = "storeplane-default-deny"

# Pod Security admission: a store's pods run under the `restricted` profile (the charts comply).
POD_SECURITY_LABELS = {
    f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")
} | {"pod-security.kubernetes.io/enforce-version": "latest"}

# Where a store may not reach though it may reach the internet: private and shared ranges (the
# cluster's pods, services and nodes, the API server on most clusters, storeplane itself),
# loopback, link-local (cloud metadata at 169.254.169.254 and fd00:ec2::254) and the like.
PRIVATE_IPV4 = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
)
# (IPv4-mapped ::ffff:0:0/96 is refused by the API server as an `except`; IPv4 rules cover it.)
PRIVATE_IPV6 = ("::1/128", "64:ff9b::/96", "fc00::/7", "fe80::/10", "ff00::/8")
CLUSTER_DNS_NAMESPACE = "kube-system"
CLUSTER_DNS_POD_LABELS = {"k8s-app": "kube-dns"}
# The web pods of each engine and the port they serve HTTP on: all the ingress controller reaches.
WEB_PORTS = {"woocommerce": 80, "medusa": 9000}
CREDENTIAL_KEYS = (
    "admin-username", "admin-password", "admin-email", "database-password",
    "database-root-password", "jwt-secret", "cookie-secret",
)


def store_labels(store: StoreSnapshot) -> dict[str, str]:
    return {
        STORE_ID_LABEL: str(store.id),
        TENANT_LABEL: store.tenant,
        ENGINE_LABEL: store.engine,
        MANAGED_BY_LABEL: MANAGED_BY,
    }


def _object(api_version: str, kind: str, name: str, store: StoreSnapshot, **body: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": store_labels(store)}
    if kind != "Namespace":
        metadata["namespace"] = store.namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def namespace(store: StoreSnapshot) -> dict[str, Any]:
    manifest = _object("v1", "Namespace", store.namespace, store)
    manifest["metadata"]["labels"] = namespace_labels(store)
    return manifest


def namespace_labels(store: StoreSnapshot) -> dict[str, str]:
    """The labels a store's namespace must carry: ownership, and Pod Security `restricted`."""
    return {**store_labels(store), **POD_SECURITY_LABELS}


def resource_quota(store: StoreSnapshot, plan: Plan) -> dict[str, Any]:
    hard = {
        "requests.cpu": plan.cpu_request,
        "requests.memory": plan.memory_request,
        "limits.cpu": plan.cpu_limit,
        "limits.memory": plan.memory_limit,
        "requests.storage": plan.storage,
        "pods": str(plan.max_pods),
        "persistentvolumeclaims": str(plan.max_pvcs),
    }
    return _object("v1", "ResourceQuota", QUOTA, store, spec={"hard": hard})


def limit_range(store: StoreSnapshot, plan: Plan) -> dict[str, Any]:
    # Containers that name no resources still fit the quota, which requires them.
    defaults = {"cpu": plan.default_container_cpu, "memory": plan.default_container_memory}
    limits = [{"type": "Container", "default": defaults, "defaultRequest": defaults}]
    return _object("v1", "LimitRange", LIMITS, store, spec={"limits": limits})


def network_policy(
    store: StoreSnapshot,
    ingress_namespace_labels: dict[str, str],
    api_server_cidrs: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Isolation both ways, for every pod of the store.

    In: from the store's own pods, and from the ingress controller's namespace to the web port
    only (no database listens there). Out: to the cluster DNS (port 53), to the store's own pods,
    and to the internet except private ranges, link-local (cloud metadata) and `api_server_cidrs`
    (the Kubernetes API server when it has a public address; a private one is excluded already).
    So a tenant's code (an uploaded WordPress plugin) reaches neither other stores nor the API
    server, storeplane, its database or the metadata service.
    """
    web_port = WEB_PORTS.get(store.engine, 80)
    dns_peer = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": CLUSTER_DNS_NAMESPACE}},
        "podSelector": {"matchLabels": dict(CLUSTER_DNS_POD_LABELS)},
    }
    internet = [
        {"ipBlock": {"cidr": "0.0.0.0/0", "except": [*PRIVATE_IPV4, *api_server_cidrs]}},
        {"ipBlock": {"cidr": "::/0", "except": list(PRIVATE_IPV6)}},
    ]
    spec = {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {"from": [{"podSelector": {}}]},
            {"from": [{"namespaceSelector": {"matchLabels": ingress_namespace_labels}}],
             "ports": [{"protocol": "TCP", "port": web_port}]},
        ],
        "egress": [
            {"to": [dns_peer], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            {"to": [{"podSelector": {}}]},
            {"to": internet},
        ],
    }
    return _object("networking.k8s.io/v1", "NetworkPolicy", NETWORK_POLICY, store, spec=spec)


def credentials(store: StoreSnapshot, host: str) -> dict[str, Any]:
    """A fresh Secret of generated credentials; only ever created, never rewritten."""
    return _object(
        "v1", "Secret", CREDENTIALS_SECRET, store, type="Opaque", stringData=generate_credentials(host)
    )


def generate_credentials(host: str) -> dict[str, str]:
    return {
        "admin-username": "admin",
        "admin-password": secrets.token_urlsafe(18),
        "admin-email": f"admin@{host}",
        "database-password": secrets.token_urlsafe(18),
        "database-root-password": secrets.token_urlsafe(18),
        "jwt-secret": secrets.token_urlsafe(32),
        "cookie-secret": secrets.token_urlsafe(32),
    }


def contains(actual: Any, desired: Any) -> bool:
    """Whether `actual` holds everything `desired` says (the server may add defaults)."""
    if isinstance(desired, dict):
        return isinstance(actual, dict) and all(contains(actual.get(k), v) for k, v in desired.items())
    if isinstance(desired, list):
        return (
            isinstance(actual, list) and len(actual) == len(desired)
            and all(contains(a, d) for a, d in zip(actual, desired, strict=True))
        )
    return bool(actual == desired)
