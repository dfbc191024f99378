"""Reading a release from Helm's Secrets agrees with the helm CLI, on releases the real helm made:
after an install, after an upgrade with other values (the newest revision wins), and when there is
no release at all."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.cluster.helm import Helm
from reconciler.cluster.kube import KubeAccess
from reconciler.cluster.release_records import read_release
from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import MINI_CHART, ClusterTools, unique_name

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]


async def test_a_release_read_from_its_secrets_is_what_helm_reports(
    kube_cluster: KubeCluster, tools: ClusterTools, helm_home: Path
) -> None:
    namespace, release = unique_name("rr"), "shop"
    helm = Helm(binary=str(kube_cluster.bin_dir / "helm"), kubeconfig=kube_cluster.kubeconfig,
                home=helm_home)
    tools.run("kubectl", "create", "namespace", namespace)
    try:
        async with KubeAccess(kube_cluster.kubeconfig).connect(request_timeout=timedelta(seconds=30)) as kube:
            assert await read_release(kube, release, namespace) is None
            assert await helm.release(release, namespace) is None
            for name in ("first", "second"):
                store = {"name": name, "tenant": "acme", "host": f"{name}.example",
                         "credentialsSecret": "creds"}
                tools.run("helm", "upgrade", "--install", release, str(MINI_CHART), "-n", namespace,
                          "--set-string", ",".join(f"store.{k}={v}" for k, v in store.items()),
                          "--set", "replicas=2")
                from_secrets = await read_release(kube, release, namespace)
                from_cli = await helm.release(release, namespace)
                assert from_secrets is not None
                assert from_cli is not None
                assert from_secrets == {key: from_cli[key] for key in from_secrets}
                assert from_secrets["config"] == {"store": store, "replicas": 2}
            assert from_secrets["version"] == 2
            assert from_secrets["chart_id"] == "mini-0.1.0"
            assert from_secrets["info"]["status"] == "deployed"
    finally:
        tools.run("kubectl", "delete", "namespace", namespace, "--wait=false", check=False)
