"""The rights inside a store namespace, when storeplane runs with least privilege.

In a cluster installed with the platform chart, the reconciler's service account holds no rights
in a new namespace: it binds itself the store role there (a ClusterRole listing exactly the kinds
the store charts and guardrails use) before anything else, then binds the API's service account
to the credentials role (`get` of the `store-credentials` Secret alone, for a reveal). Fed by the
settings (which roles, which accounts; None when storeplane runs with a kubeconfig's full rights);
feeds the namespace action with the RoleBinding manifests and a wait until the API server's
authorizer honours the reconciler's own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from reconciler.cluster.kube import Kube, grouped

ROLE_BINDING = "storeplane-reconciler"
CREDENTIALS_BINDING = "storeplane-api-credentials"
# RBAC changes reach the authorizer through its informers, a moment after the write.
_GRANT_WAIT_SECONDS = 15.0


@dataclass(frozen=True)
class StoreAccess:
    """Bind `role` to the service account `namespace/name` in every store namespace."""

    role: str
    service_account_namespace: str
    service_account: str
    binding: str = ROLE_BINDING  # the RoleBinding's name in each store namespace

    @classmethod
    def parse(
        cls, role: str | None, account: str | None, *, binding: str = ROLE_BINDING,
        variable: str = "STOREPLANE_SERVICE_ACCOUNT",
    ) -> StoreAccess | None:
        """From a role variable (STOREPLANE_STORE_ROLE) and an account one (`variable`:
        `namespace/name`)."""
        if not role or not account:
            return None
        namespace, _, name = account.partition("/")
        if not namespace or not name:
            raise ValueError(f"{variable} must be namespace/name, not {account!r}")
        return cls(role, namespace, name, binding)

    def role_binding(self, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": self.binding, "namespace": namespace, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": self.role},
            "subjects": [{
                "kind": "ServiceAccount", "name": self.service_account,
                "namespace": self.service_account_namespace,
            }],
        }


async def bind(kube: Kube, access: StoreAccess, namespace: str, labels: dict[str, str]) -> None:
    """Binds `access.role` to its account in `namespace` (server-side apply: a repeat, or a binding
    changed out of band, ends as ours)."""
    path = grouped("rbac.authorization.k8s.io/v1", namespace, "rolebindings", access.binding)
    await kube.apply(path, access.role_binding(namespace, labels))


async def grant(kube: Kube, access: StoreAccess, namespace: str, labels: dict[str, str]) -> None:
    """Binds the store role in `namespace` and returns once the API server lets us use it."""
    await bind(kube, access, namespace, labels)
    review = {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {
            "namespace": namespace, "verb": "create", "resource": "resourcequotas",
        }},
    }
    deadline = asyncio.get_running_loop().time() + _GRANT_WAIT_SECONDS
    while True:
        answer = await kube.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review)
        if answer.get("status", {}).get("allowed"):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(
                f"the store role bound in {namespace} was not honoured within {_GRANT_WAIT_SECONDS:.0f}s"
            )
        await asyncio.sleep(0.2)
