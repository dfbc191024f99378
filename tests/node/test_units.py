"""The real node's helpers without a cluster: cgroup paths, availability, snapshots, rules.

Fed by made-up /proc texts and monkeypatched checks; feeds nothing. These run everywhere
(no root, no cluster), so a machine that cannot run the node still checks the logic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storeplane.localcluster import cgroups, netguard, node, runtime, stack, traces

PROC_CGROUP = """9:name=systemd:/
4:memory:/process_api/abc
3:cpuset:/
0::/
"""
MOUNTINFO = """30 25 0:26 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu
31 25 0:27 / /sys/fs/cgroup/memory rw,relatime shared:10 - cgroup cgroup rw,memory
32 25 0:28 / /sys/fs/cgroup/unified rw,relatime shared:11 - cgroup2 cgroup2 rw
33 25 0:29 / /proc rw,relatime shared:12 - proc proc rw
"""


def test_the_callers_memory_cgroup_is_read_from_the_memory_line() -> None:
    assert cgroups.caller_memory_cgroup(PROC_CGROUP) == "/process_api/abc"
    assert cgroups.caller_memory_cgroup("0::/user.slice/x\n") == "/user.slice/x"


def test_hierarchies_are_the_v1_mounts_and_optionally_cgroup2() -> None:
    assert cgroups.hierarchies(MOUNTINFO) == [Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup/memory")]
    assert Path("/sys/fs/cgroup/unified") in cgroups.hierarchies(MOUNTINFO, unified=True)


def test_a_non_root_user_gets_a_plain_reason_and_a_kwok_only_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    target = runtime.Cluster(name="x", cache=Path("/nonexistent"), bin_dir=Path("/nonexistent"))
    assert node.why_not(target) == "not root: the kubelet and containerd need root"

    monkeypatch.setattr(runtime, "up", lambda target, nodes: target)
    outcome = stack.up(target)
    assert outcome.real_node is False
    assert "not root" in outcome.reason
    with pytest.raises(node.NodeError, match="not root"):
        stack.up(target, real_node=True)


def test_left_behind_reports_only_additions_and_changed_values() -> None:
    before = {"links": ["eth0", "lo"], "sysctls": ["kernel.panic=1"]}
    after = {"links": ["eth0", "lo", "spnode0"], "sysctls": ["kernel.panic=10"]}
    assert traces.left_behind(before, after) == {"links": ["spnode0"], "sysctls": ["kernel.panic=10"]}
    assert traces.left_behind(after, after) == {}


def test_pod_traffic_is_forwarded_only_within_the_pod_subnet() -> None:
    rules = netguard.guard_rules("10.244.0.0/24")
    forward = rules[netguard.FORWARD_CHAIN]
    assert forward[0] == ["-s", "10.244.0.0/24", "-d", "10.244.0.0/24", "-j", "RETURN"]
    assert forward[1] == ["-s", "10.244.0.0/24", "-j", "DROP"]
    assert rules[netguard.OUTPUT_CHAIN][-1] == ["-m", "conntrack", "--ctstate", "DNAT", "-j", "REJECT"]
