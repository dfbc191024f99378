"""What a helm child process inherits: only what helm needs, never the platform's secrets."""

from __future__ import annotations

from pathlib import Path

from reconciler.cluster.helm import Helm

PARENT = {
    "PATH": "/usr/bin", "HOME": "/home/op", "DATABASE_URL": "postgresql://u:secret@db/storeplane",
    "STOREPLANE_ADMIN_TOKEN": "hunter2", "AWS_SECRET_ACCESS_KEY": "x", "HELM_DRIVER": "secret",
    "KUBECONFIG": "/home/op/.kube/config",
}


def test_helm_gets_its_own_settings_and_nothing_of_the_platform() -> None:
    env = Helm(kubeconfig=Path("/k"), home=Path("/h"))._env(PARENT)
    assert env == {
        "PATH": "/usr/bin", "HOME": "/home/op", "HELM_DRIVER": "secret",
        "HELM_CONFIG_HOME": "/h/config", "HELM_CACHE_HOME": "/h/cache", "HELM_DATA_HOME": "/h/data",
    }


def test_without_a_kubeconfig_of_its_own_helm_reads_the_callers() -> None:
    env = Helm()._env(PARENT)
    assert env["KUBECONFIG"] == "/home/op/.kube/config"
    assert "DATABASE_URL" not in env
