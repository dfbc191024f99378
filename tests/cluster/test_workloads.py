"""Workloads settle on the kwok cluster as on a real one.

Given a fresh namespace, when a Deployment, a Job or a PersistentVolumeClaim is created
through the API, then the controllers and kwok's stages bring it to the state a
kubelet-backed cluster would.
"""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client

from tests.cluster.waiting import eventually

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio]

LABELS = {"app": "probe"}


def _pod_template(*, restart_policy: str = "Always") -> client.V1PodTemplateSpec:
    container = client.V1Container(name="main", image="registry.invalid/probe:1.0")
    return client.V1PodTemplateSpec(
        metadata=client.V1ObjectMeta(labels=LABELS),
        spec=client.V1PodSpec(containers=[container], restart_policy=restart_policy),
    )


async def test_deployment_reaches_ready_replicas(api: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api)
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=3,
            selector=client.V1LabelSelector(match_labels=LABELS),
            template=_pod_template(),
        ),
    )
    await apps.create_namespaced_deployment(namespace, deployment)

    async def ready_replicas() -> int | None:
        current = await apps.read_namespaced_deployment("web", namespace)
        return current.status.ready_replicas if current.status.ready_replicas == 3 else None

    assert await eventually(ready_replicas, what="3 ready replicas") == 3


async def test_job_completes(api: client.ApiClient, namespace: str) -> None:
    batch = client.BatchV1Api(api)
    job = client.V1Job(
        metadata=client.V1ObjectMeta(name="migrate"),
        spec=client.V1JobSpec(template=_pod_template(restart_policy="Never"), backoff_limit=0),
    )
    await batch.create_namespaced_job(namespace, job)

    async def completed() -> bool | None:
        current = await batch.read_namespaced_job("migrate", namespace)
        conditions = current.status.conditions or []
        done = any(c.type == "Complete" and c.status == "True" for c in conditions)
        return True if done else None

    await eventually(completed, what="Job condition Complete")
    current = await batch.read_namespaced_job("migrate", namespace)
    assert current.status.succeeded == 1


async def test_claim_on_default_storage_class_binds(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    claim = client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="data"),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=client.V1VolumeResourceRequirements(requests={"storage": "1Gi"}),
        ),
    )
    await core.create_namespaced_persistent_volume_claim(namespace, claim)

    async def bound_volume() -> str | None:
        current = await core.read_namespaced_persistent_volume_claim("data", namespace)
        return current.spec.volume_name if current.status.phase == "Bound" else None

    volume_name = await eventually(bound_volume, what="claim phase Bound")
    volume = await core.read_persistent_volume(volume_name)
    assert volume.spec.claim_ref.name == "data"
    assert volume.spec.capacity["storage"] == "1Gi"
