"""What the real node can leave on the host, as a comparable snapshot.

Fed by ``/proc`` (processes, mounts, sysctls), ``ip`` (links, netns), iptables and the
cgroup hierarchies; feeds the teardown checks, which take one snapshot before the node
starts and one after ``cluster down`` and require that nothing was added or changed.
"""

from __future__ import annotations

from pathlib import Path

from storeplane.localcluster import cgroups, hostnet, netguard, sysctls

NODE_PROCESSES = frozenset(
    {"kubelet", "kube-proxy", "containerd", "containerd-shim", "containerd-shim-runc-v2", "coredns", "runc",
     "traefik"}
)

Snapshot = dict[str, list[str]]


def node_processes() -> list[str]:
    """``pid name`` of every node daemon running on the host (zombies are dead: left out;
    a daemonised shim's zombie waits for this sandbox's init to collect it)."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            name = comm.read_text().strip()
            state = (comm.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state == "Z":
            continue
        if name in NODE_PROCESSES or name.startswith("containerd-shim"):
            found.append(f"{comm.parent.name} {name}")
    return sorted(found)


def node_cgroups() -> list[str]:
    """Cgroup dirs the node could create: the caller's memory cgroup path and its parents in
    every hierarchy (v1 and cgroup2), and anything named ``storeplane-node-*``."""
    found: set[str] = set()
    parts = [p for p in cgroups.caller_memory_cgroup().split("/") if p]
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for mount in cgroups.hierarchies(unified=True):
        found.update(str(mount / prefix) for prefix in prefixes if (mount / prefix).is_dir())
        found.update(str(p) for p in mount.rglob("storeplane-node-*") if p.is_dir())
    return sorted(found)


def snapshot() -> Snapshot:
    return {
        "processes": [p.split(" ", 1)[1] for p in node_processes()],
        "mounts": hostnet.mount_points(),
        "links": hostnet.links(),
        "netns": sorted(hostnet.netns_names()),
        "iptables": netguard.snapshot(),
        "cgroups": node_cgroups(),
        "sysctls": [f"{k}={v}" for k, v in sorted(sysctls.snapshot().items())],
    }


def left_behind(before: Snapshot, after: Snapshot) -> dict[str, list[str]]:
    """Entries present after but not before (a changed sysctl shows as its new value)."""
    diff = {}
    for key, values in after.items():
        added = sorted(set(values) - set(before.get(key, [])))
        if added:
            diff[key] = added
    return diff
