"""helm install --wait finishes on the local cluster.

Given the tiny chart (a Deployment mounting a PersistentVolumeClaim, and a ClusterIP
Service), when it is installed with --wait, then helm returns success, which it only
does once the pods are Ready and the claim is Bound.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from tests.fixtures.kube import KubeCluster

pytestmark = pytest.mark.cluster

CHART = Path(__file__).parent / "charts" / "tiny"


def test_helm_install_wait_succeeds(kube_cluster: KubeCluster, tmp_path: Path) -> None:
    env = kube_cluster.env()
    for variable in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[variable] = str(tmp_path / variable.lower())
    namespace = f"helm-{uuid.uuid4().hex[:8]}"
    helm = str(kube_cluster.bin_dir / "helm")

    installed = subprocess.run(
        [
            helm,
            "install",
            "tiny",
            str(CHART),
            "--namespace",
            namespace,
            "--create-namespace",
            "--wait",
            "--timeout",
            "120s",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr + installed.stdout

    listed = subprocess.run(
        [helm, "status", "tiny", "--namespace", namespace, "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert '"status":"deployed"' in listed.stdout.replace(" ", "")

    subprocess.run(
        [helm, "uninstall", "tiny", "--namespace", namespace, "--wait"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
