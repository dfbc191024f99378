"""The local control plane has room for many stores: each store's chart creates Services, and the
apiserver's default Service range (a /24) would stop a local run at about 125 stores."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from kubernetes_asyncio import client

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio]


async def test_three_hundred_services_get_cluster_ips(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    namespace = f"many-{uuid.uuid4().hex[:8]}"
    await core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    try:
        service = client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)])
        for start in range(0, 300, 50):
            await asyncio.gather(*(
                core.create_namespaced_service(
                    namespace, client.V1Service(metadata=client.V1ObjectMeta(name=f"s{i}"), spec=service)
                )
                for i in range(start, start + 50)
            ))
        services = (await core.list_namespaced_service(namespace)).items
        assert len({s.spec.cluster_ip for s in services}) == 300
    finally:
        await core.delete_namespace(namespace)
