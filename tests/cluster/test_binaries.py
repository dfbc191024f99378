"""The compiled binaries report the pinned versions (version ldflags applied).

Given the bin dir the session's cluster runs from, when each tool prints its version,
then it is the pin from versions.py, not v0.0.0: kwokctl and helm's kubeVersion checks
depend on that. Also checks the wrapper replace list is derived, not hard-coded.
"""

from __future__ import annotations

import subprocess

import pytest

from storeplane.localcluster import build, versions
from tests.fixtures.kube import KubeCluster

pytestmark = pytest.mark.cluster


def _version(kube_cluster: KubeCluster, *argv: str) -> str:
    result = subprocess.run(
        [str(kube_cluster.bin_dir / argv[0]), *argv[1:]],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize("binary", ["kube-apiserver", "kube-controller-manager", "kube-scheduler"])
def test_control_plane_reports_pinned_version(kube_cluster: KubeCluster, binary: str) -> None:
    assert _version(kube_cluster, binary, "--version").strip() == f"Kubernetes {versions.KUBERNETES_VERSION}"


def test_tools_report_pinned_versions(kube_cluster: KubeCluster) -> None:
    assert f"Client Version: {versions.KUBERNETES_VERSION}" in _version(
        kube_cluster, "kubectl", "version", "--client"
    )
    assert f'Version:"{versions.HELM_VERSION}"' in _version(kube_cluster, "helm", "version")
    assert f"etcd Version: {versions.ETCD_VERSION.removeprefix('v')}" in _version(
        kube_cluster, "etcd", "--version"
    )
    assert f"kwokctl version {versions.KWOK_VERSION}" in _version(kube_cluster, "kwokctl", "--version")


def test_staging_replaces_are_derived_from_upstream_go_mod() -> None:
    upstream = """
replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
)
replace go.etcd.io/etcd => ./FORBIDDEN_DEPENDENCY
"""
    derived = build.replaces_for(upstream, module=versions.KUBERNETES_MODULE, version="v1.35.4")

    assert derived == {"k8s.io/api": "v0.35.4", "k8s.io/client-go": "v0.35.4"}
