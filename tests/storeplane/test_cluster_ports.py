"""A stopped local cluster whose saved ports another process took since is refused with the ports
named, before kwokctl restarts it onto someone else's API server; one whose ports are free is not.

The saved configuration is kwokctl's own format (`kwok.yaml`: the component manifests, then the
`KwokctlConfiguration` whose options carry the ports), written here, so no cluster is started."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from storeplane.localcluster import paths
from storeplane.localcluster.runtime import Cluster, ClusterError, refuse_taken_ports, saved_ports


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stopped_cluster(cache: Path, api_port: int, etcd_port: int) -> Cluster:
    target = Cluster(name="stopped", cache=cache, bin_dir=cache / "bin")
    target.state_dir.mkdir(parents=True)
    documents = [
        {"apiVersion": "config.kwok.x-k8s.io/v1alpha1", "kind": "Stage", "metadata": {"name": "x"}},
        {"apiVersion": "config.kwok.x-k8s.io/v1alpha1", "kind": "KwokctlConfiguration",
         "options": {"kubeApiserverPort": api_port, "etcdPort": etcd_port, "jaegerPort": 0,
                     "kubeApiserverImage": "registry.k8s.io/kube-apiserver:v1.35.4"}},
    ]
    (target.state_dir / "kwok.yaml").write_text(yaml.safe_dump_all(documents))
    return target


def test_the_saved_ports_are_read_from_kwokctls_configuration(tmp_path: Path) -> None:
    target = stopped_cluster(tmp_path, 32764, 32765)
    assert target.state_dir.parent == paths.clusters_dir(tmp_path)
    assert saved_ports(target) == {"kubeApiserverPort": 32764, "etcdPort": 32765}


def test_a_taken_port_is_refused_with_its_name(tmp_path: Path, listener: int) -> None:
    target = stopped_cluster(tmp_path, api_port=listener, etcd_port=_free_port())
    with pytest.raises(ClusterError, match=rf"{listener} \(kubeApiserver\)") as refused:
        refuse_taken_ports(target)
    assert "storeplane cluster down --name stopped" in str(refused.value)


def test_free_ports_are_not_refused(tmp_path: Path) -> None:
    refuse_taken_ports(stopped_cluster(tmp_path, api_port=_free_port(), etcd_port=_free_port()))
