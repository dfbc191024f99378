"""The reconciler's rights inside a store namespace, when it runs with least privilege.

In a cluster installed with the platform chart, the reconciler's service account holds no rights
in a new namespace: it binds itself the store role there (a ClusterRole listing exactly the kinds
the store charts and guardrails use) before anything else. Fed by the settings (which role, which
account; both None when the reconciler runs with a kubeconfig's full rights); feeds the guardrails
action with the RoleBinding manifest and a wait until the API server's authorizer honours it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from reconciler.cluster.kube import Kube, grouped

ROLE_BINDING = "storeplane-reconciler"
# RBAC changes reach the authorizer through its informers, a moment after the write.
_GRANT_WAIT_SECONDS = 15.0


@dataclass(frozen=True)
class StoreAccess:
    """Bind `role` to the service account `namespace/name` in every store namespace."""

    role: str
    service_account_namespace: str
    service_account: str

    @classmethod
    def parse(cls, role: str | None, account: str | None) -> StoreAccess | None:
        """From STOREPLANE_STORE_ROLE and STOREPLANE_SERVICE_ACCOUNT (`namespace/name`)."""
        if not role or not account:
            return None
        namespace, _, name = account.partition("/")
        if not namespace or not name:
            raise ValueError(f"STOREPLANE_SERVICE_ACCOUNT must be namespace/name, not {account!r}")
        return cls(role, namespace, name)

    def role_binding(self, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": ROLE_BINDING, "namespace": namespace, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": self.role},
            "subjects": [{
                "kind": "ServiceAccount", "name": self.service_account,
                "namespace": self.service_account_namespace,
            }],
        }


async def grant(kube: Kube, access: StoreAccess, namespace: str, labels: dict[str, str]) -> None:
    """Binds the store role in `namespace` and returns once the API server lets us use it."""
    path = grouped("rbac.authorization.k8s.io/v1", namespace, "rolebindings", ROLE_BINDING)
    await kube.apply(path, access.role_binding(namespace, labels))
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
