"""Fixtures for tests against the local cluster: an API client and a fresh namespace.

Fed by ``kube_cluster`` (tests/fixtures/kube.py); feeds each test a kubernetes_asyncio
``ApiClient`` and a namespace whose default ServiceAccount exists (so pods admit).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.rest import ApiException

from tests.cluster.waiting import eventually
from tests.fixtures.kube import KubeCluster


@pytest_asyncio.fixture
async def api(kube_cluster: KubeCluster) -> AsyncIterator[client.ApiClient]:
    configuration = client.Configuration()
    await config.load_kube_config(
        config_file=str(kube_cluster.kubeconfig), client_configuration=configuration
    )
    async with client.ApiClient(configuration) as api_client:
        yield api_client


@pytest_asyncio.fixture
async def namespace(api: client.ApiClient) -> AsyncIterator[str]:
    core = client.CoreV1Api(api)
    name = f"t-{uuid.uuid4().hex[:10]}"
    await core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))

    async def default_service_account() -> bool | None:
        try:
            await core.read_namespaced_service_account("default", name)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return True

    await eventually(default_service_account, what=f"ServiceAccount default in {name}")
    yield name
    try:
        await core.delete_namespace(name)
    except ApiException as error:
        if error.status != 404:
            raise
