"""This machine's rules for the real node, each checked while it runs.

Fed by the session cluster's real node (``real_node``, ``kubectl``) and the host's
/proc, cgroup and iptables state; feeds nothing. Teardown (nothing left, kernel
settings restored) is checked in ``test_teardown.py``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from storeplane.localcluster import cgroups, netguard, node, runtime, traces
from storeplane.localcluster import nodeconfig as nc
from tests.fixtures.kube import KubeCluster
from tests.node.kube import Kubectl, eventually, pod

pytestmark = [pytest.mark.cluster, pytest.mark.node]


def _target(cluster: KubeCluster) -> runtime.Cluster:
    return runtime.cluster(cluster.name, bin_dir=cluster.bin_dir)


def _memory_cgroup(pid: int) -> str:
    return cgroups.caller_memory_cgroup(Path(f"/proc/{pid}/cgroup").read_text())


def test_every_node_process_stays_inside_the_callers_memory_cgroup(kubectl: Kubectl) -> None:
    kubectl.apply(pod("sleeper", {"containers": [{"name": "c", "command": ["sleep", "600"]}]}))
    kubectl.wait("pod/sleeper", "condition=Ready")
    root = cgroups.node_root(kubectl.cluster.name)
    assert root.startswith(cgroups.caller_memory_cgroup().rstrip("/") + "/")

    daemons = [int(line.split()[0]) for line in traces.node_processes()]
    inside = cgroups.pids_under(root)
    assert {"kubelet", "containerd", "kube-proxy", "coredns", "traefik"} <= {
        Path(f"/proc/{pid}/comm").read_text().strip() for pid in daemons
    }
    outside = {pid: _memory_cgroup(pid) for pid in daemons if not _memory_cgroup(pid).startswith(root + "/")}
    assert outside == {}, "node processes outside the node's memory cgroup"
    sleepers = [p for p in inside if Path(f"/proc/{p}/comm").read_text().strip() == "sleep"]
    assert sleepers, "the container's process is in the node's cgroup"
    assert all("/kubepods/" in _memory_cgroup(pid) for pid in sleepers)


def test_no_cgroup_is_created_outside_the_node_root(real_node: KubeCluster) -> None:
    root = cgroups.node_root(real_node.name)
    stray = []
    for mount in cgroups.hierarchies(unified=True):
        for found in [*mount.rglob("kubepods*"), *mount.rglob("storeplane-node-*")]:
            relative = "/" + str(found.relative_to(mount))
            if not (relative == root or relative.startswith(root + "/")):
                stray.append(str(found))
    assert stray == []
    for mount in cgroups.hierarchies():
        assert (mount / root.lstrip("/")).is_dir(), f"node root missing in {mount}"


def test_kubelet_runs_with_cgroupfs_under_the_node_root(real_node: KubeCluster) -> None:
    config = json.loads((node.node_dir(_target(real_node)) / "kubelet.json").read_text())
    assert config["cgroupDriver"] == "cgroupfs"
    assert config["cgroupRoot"] == cgroups.node_root(real_node.name)
    assert config["failCgroupV1"] is False


def test_pod_traffic_cannot_leave_the_machine(kubectl: Kubectl) -> None:
    assert netguard.first_rule("FORWARD") == f"-A FORWARD -j {netguard.FORWARD_CHAIN}"
    assert netguard.first_rule("OUTPUT") == f"-A OUTPUT -j {netguard.OUTPUT_CHAIN}"
    forward = subprocess.run(
        ["iptables", "-S", netguard.FORWARD_CHAIN], capture_output=True, text=True
    ).stdout
    assert f"-A {netguard.FORWARD_CHAIN} -s {nc.POD_SUBNET} -j DROP" in forward
    nat = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True, check=True).stdout
    masquerades = [line for line in nat.splitlines() if "MASQUERADE" in line]
    # kube-proxy's only MASQUERADE is for Service traffic it marked (towards pods).
    assert all(line.startswith("-A KUBE-POSTROUTING") for line in masquerades), masquerades
    conflist = json.loads(
        (node.node_dir(_target(kubectl.cluster)) / "cni" / "net.d" / "10-storeplane.conflist").read_text()
    )
    assert conflist["plugins"][0]["ipMasq"] is False
    assert conflist["plugins"][0]["isGateway"] is False


def test_coredns_answers_the_cluster_domain_only(kubectl: Kubectl) -> None:
    corefile = (node.node_dir(_target(kubectl.cluster)) / "Corefile").read_text()
    assert "forward" not in corefile
    script = "nslookup kubernetes.default.svc.cluster.local; echo ---; nslookup example.com; true"
    kubectl.apply(
        pod("dns", {"restartPolicy": "Never", "containers": [{"name": "c", "command": ["sh", "-c", script]}]})
    )
    kubectl.wait("pod/dns", "jsonpath={.status.phase}=Succeeded")
    inside, outside = kubectl.run("logs", "dns").split("---")
    assert "Address: 10.96.0.1" in inside
    assert "NXDOMAIN" in outside


def test_kernel_settings_are_recorded_before_the_node_started(real_node: KubeCluster) -> None:
    recorded = json.loads((node.node_dir(_target(real_node)) / "sysctls.json").read_text())
    before = real_node.host_before
    assert before is not None
    assert sorted(f"{k}={v}" for k, v in recorded.items()) == before["sysctls"]


def test_kwok_leaves_the_real_node_alone_and_other_pods_stay_on_kwok_nodes(kubectl: Kubectl) -> None:
    real = kubectl.json("node", nc.NODE_NAME)
    assert "kwok.x-k8s.io/node" not in real["metadata"].get("annotations", {})
    assert real["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")
    plain = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "plain"},
        "spec": {"containers": [{"name": "c", "image": "example.invalid/none:1"}]},
    }
    kubectl.apply(plain)
    node_name = eventually(lambda: kubectl.json("pod", "plain")["spec"].get("nodeName"), what="scheduled")
    assert node_name != nc.NODE_NAME
