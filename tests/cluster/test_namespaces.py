"""The namespace controller runs: deleting a namespace with content finishes.

Given a namespace holding a Deployment with running pods and a ConfigMap, when it
is deleted, then it disappears (finalizers and garbage collection complete).
"""

from __future__ import annotations

import uuid

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.rest import ApiException

from tests.cluster.waiting import eventually

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio]


async def test_deleted_namespace_goes_away(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    apps = client.AppsV1Api(api)
    name = f"gone-{uuid.uuid4().hex[:8]}"
    await core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    await core.create_namespaced_config_map(
        name, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings"), data={"a": "b"})
    )
    labels = {"app": "doomed"}
    await apps.create_namespaced_deployment(
        name,
        client.V1Deployment(
            metadata=client.V1ObjectMeta(name="doomed"),
            spec=client.V1DeploymentSpec(
                replicas=1,
                selector=client.V1LabelSelector(match_labels=labels),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels=labels),
                    spec=client.V1PodSpec(
                        containers=[client.V1Container(name="m", image="registry.invalid/m:1")]
                    ),
                ),
            ),
        ),
    )

    async def has_pod() -> bool | None:
        pods = await core.list_namespaced_pod(name)
        return True if pods.items else None

    await eventually(has_pod, what=f"a pod in {name}")

    await core.delete_namespace(name)

    async def gone() -> bool | None:
        try:
            await core.read_namespace(name)
        except ApiException as error:
            if error.status == 404:
                return True
            raise
        return None

    assert await eventually(gone, what=f"namespace {name} to be deleted", within=90)
