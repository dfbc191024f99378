"""Which cluster a process that runs no reconciler reads store credentials from (`storeplane api`,
`storeplane stores credentials`): KUBECONFIG, else the local control plane's kubeconfig if one was
made — found by its path alone, never by building or starting anything — else none."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cluster.kube import KubeAccess
from storeplane import platform
from storeplane.localcluster import paths


@pytest.fixture
def no_configured_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for variable in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path))
    return tmp_path


def test_kubeconfig_comes_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    assert platform.existing_cluster() == KubeAccess(tmp_path / "kubeconfig")


def test_without_one_the_local_control_planes_kubeconfig_is_used_if_it_exists(
    no_configured_cluster: Path,
) -> None:
    assert platform.existing_cluster() is None  # and nothing was built: the cache stays empty
    assert list(no_configured_cluster.iterdir()) == []
    kubeconfig = no_configured_cluster / "clusters" / "storeplane" / "kubeconfig.yaml"
    kubeconfig.parent.mkdir(parents=True)
    kubeconfig.write_text("apiVersion: v1\n")
    assert platform.existing_cluster() == KubeAccess(kubeconfig)


def test_the_api_of_up_reads_the_reconcilers_cluster(no_configured_cluster: Path) -> None:
    access = KubeAccess(no_configured_cluster / "reconciler.kubeconfig")
    reconciler = platform.ReconcilerOptions(cluster=platform.ClusterChoice(access, None, local=True))
    source = platform.credentials_source(platform.Components(reconciler=reconciler))
    assert source is not None
    assert source.access == access
    assert platform.credentials_source(platform.Components()) is None
