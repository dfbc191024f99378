"""Reading a store's credentials Secret for its owner: one `get` of `store-credentials` in the
store's namespace, through kubernetes-asyncio.

Fed by the cluster access of the process (a kubeconfig, or the pod's service account: the API's,
which the reconciler binds in each store namespace to a role allowing exactly this `get`); feeds
the reveal use case (`graphql_api.credentials`) with the Secret's decoded values, or None when
the Secret is not there. The values are returned to the caller only: never logged here.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from reconciler.cluster.charts import CREDENTIALS_SECRET
from reconciler.cluster.kube import KubeAccess, core

REQUEST_TIMEOUT = timedelta(seconds=10)


class UnreadableSecret(RuntimeError):
    """The Secret holds a value that is not base64 (never written by storeplane)."""


@dataclass(frozen=True)
class KubeCredentialsSource:
    """Connects for each read: reveals are rare, and a fresh connection rereads a service
    account's token, which the kubelet rotates."""

    access: KubeAccess
    request_timeout: timedelta = REQUEST_TIMEOUT

    async def read(self, namespace: str) -> Mapping[str, str] | None:
        async with self.access.connect(request_timeout=self.request_timeout) as kube:
            secret = await kube.get(core(namespace, "secrets", CREDENTIALS_SECRET))
        if secret is None:
            return None
        return decoded(secret.get("data") or {})


def decoded(data: Mapping[str, str]) -> dict[str, str]:
    """A Secret's `data` (base64, as the API server answers) as text."""
    try:
        return {key: base64.b64decode(value, validate=True).decode() for key, value in data.items()}
    except (binascii.Error, UnicodeDecodeError) as error:
        raise UnreadableSecret(f"secret {CREDENTIALS_SECRET} holds a value that is not base64") from error
