"""Admission is on: ResourceQuota rejects and LimitRange defaults, as in production.

Given a namespace with a quota of one pod, when a second pod is created, then the
API server refuses it; given a LimitRange, a pod without resources gets its defaults.
"""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.rest import ApiException

from tests.cluster.waiting import eventually

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio]


def _pod(name: str) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PodSpec(containers=[client.V1Container(name="m", image="registry.invalid/m:1")]),
    )


async def test_resource_quota_rejects_pod_over_quota(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    quota = client.V1ResourceQuota(
        metadata=client.V1ObjectMeta(name="one-pod"),
        spec=client.V1ResourceQuotaSpec(hard={"pods": "1"}),
    )
    await core.create_namespaced_resource_quota(namespace, quota)

    async def quota_tracked() -> bool | None:
        current = await core.read_namespaced_resource_quota("one-pod", namespace)
        return True if current.status and current.status.hard else None

    await eventually(quota_tracked, what="quota status computed by the controller")
    await core.create_namespaced_pod(namespace, _pod("first"))

    with pytest.raises(ApiException) as rejected:
        await core.create_namespaced_pod(namespace, _pod("second"))

    assert rejected.value.status == 403
    assert "exceeded quota" in str(rejected.value.body)


async def test_limit_range_defaults_container_resources(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    limits = client.V1LimitRange(
        metadata=client.V1ObjectMeta(name="defaults"),
        spec=client.V1LimitRangeSpec(
            limits=[
                client.V1LimitRangeItem(
                    type="Container",
                    default={"cpu": "500m", "memory": "256Mi"},
                    default_request={"cpu": "100m", "memory": "64Mi"},
                )
            ]
        ),
    )
    await core.create_namespaced_limit_range(namespace, limits)

    created = await core.create_namespaced_pod(namespace, _pod("defaulted"))

    resources = created.spec.containers[0].resources
    assert resources.requests == {"cpu": "100m", "memory": "64Mi"}
    assert resources.limits == {"cpu": "500m", "memory": "256Mi"}
