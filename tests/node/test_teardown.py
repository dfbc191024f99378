"""``cluster down`` leaves nothing of the real node behind, and restores kernel settings.

Fed by the session cluster's real node and the host snapshot the fixture took before the
node started; stops the node, compares a fresh snapshot with that one, then starts the
node again, whether or not the comparison held, so that later tests still have it.
"""

from __future__ import annotations

import pytest

from storeplane.localcluster import node, runtime, traces
from tests.fixtures.kube import KubeCluster
from tests.node.kube import Kubectl, pod

pytestmark = [pytest.mark.cluster, pytest.mark.node]


def test_down_leaves_nothing_behind_and_up_works_again(kubectl: Kubectl, real_node: KubeCluster) -> None:
    # Something for teardown to clean: a running pod (netns, veth, mounts, cgroups) and a volume.
    kubectl.apply(pod("busy", {"containers": [{"name": "c", "command": ["sleep", "600"]}]}))
    kubectl.wait("pod/busy", "condition=Ready")
    before = real_node.host_before
    assert before is not None
    target = runtime.cluster(real_node.name, bin_dir=real_node.bin_dir)

    node.down(target)
    try:
        after = traces.snapshot()
        assert traces.left_behind(before, after) == {}
        assert after["sysctls"] == before["sysctls"]
        assert after["iptables"] == before["iptables"]
    finally:
        node.up(target)  # the rest of the session keeps its real node, whatever was found
