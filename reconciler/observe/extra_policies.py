"""NetworkPolicies in a store's namespace that storeplane did not put there. Pure.

NetworkPolicies add up: one extra allow-all policy beside our default-deny opens the store to
every pod in the cluster, so comparing only the objects we named misses the drift that matters.
A policy is ours when it has our name, or when Helm made it for the store's own release (a chart
may ship policies of its own). Fed by the observer (a listing of the namespace's policies) and by
the guardrails action, which removes what this finds.
"""

from __future__ import annotations

from typing import Any

from reconciler.cluster import manifests

_RELEASE_NAME = "meta.helm.sh/release-name"
_RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"


def extra_policies(policies: list[dict[str, Any]], *, namespace: str, release: str) -> list[str]:
    """The names of the policies that are neither ours nor the store's release's, sorted."""
    extra = []
    for policy in policies:
        metadata = policy.get("metadata") or {}
        name = str(metadata.get("name", ""))
        annotations = metadata.get("annotations") or {}
        ours = name == manifests.NETWORK_POLICY or (
            annotations.get(_RELEASE_NAME) == release and annotations.get(_RELEASE_NAMESPACE) == namespace
        )
        if not ours:
            extra.append(name)
    return sorted(extra)
