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
    return _object("v1", "Namespace", store.namespace, store)


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


def network_policy(store: StoreSnapshot, ingress_namespace_labels: dict[str, str]) -> dict[str, Any]:
    """Default deny for ingress: only the ingress controller's namespace and the store itself."""
    spec = {
        "podSelector": {},
        "policyTypes": ["Ingress"],
        "ingress": [{
            "from": [
                {"namespaceSelector": {"matchLabels": ingress_namespace_labels}},
                {"podSelector": {}},
            ],
        }],
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
