"""The node's host-side plumbing: the pod bridge, and cleanup of netns, veths and mounts.

Fed by ``node.py`` (bridge name and address, the node's state dir); feeds the host with
one Linux bridge that carries the pod network's gateway address (forwarding enabled on
that interface only, so no global sysctl changes) and, on ``down``, removes the network
namespaces the runtime created, the bridge (its veths go with the namespaces) and every
mount below the node's directories (the kubelet bind-mounts its root dir).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

NETNS_DIR = Path("/run/netns")


class HostNetError(RuntimeError):
    """An ``ip`` or ``umount`` command failed."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise HostNetError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


def link_exists(name: str) -> bool:
    return _ip("link", "show", "dev", name, check=False).returncode == 0


def create_bridge(name: str, address_cidr: str) -> None:
    """The pod bridge with the gateway address; forwarding on for packets it receives."""
    if not link_exists(name):
        _ip("link", "add", name, "type", "bridge")
    if address_cidr.split("/")[0] not in _ip("-4", "addr", "show", "dev", name).stdout:
        _ip("addr", "add", address_cidr, "dev", name)
    _ip("link", "set", name, "up")
    Path(f"/proc/sys/net/ipv4/conf/{name}/forwarding").write_text("1\n")


def delete_bridge(name: str) -> None:
    if link_exists(name):
        _ip("link", "delete", name)


def links() -> list[str]:
    """Interface names on the host, for before/after comparisons."""
    out = _ip("-o", "link", "show").stdout
    return sorted(line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line)


def netns_names() -> set[str]:
    return {p.name for p in NETNS_DIR.iterdir()} if NETNS_DIR.is_dir() else set()


def delete_netns(names: set[str]) -> None:
    """Delete network namespaces (their veth ends, and so the host ends, go with them)."""
    for name in sorted(names):
        _ip("netns", "delete", name, check=False)
        leftover = NETNS_DIR / name
        if leftover.exists():
            subprocess.run(["umount", "-l", str(leftover)], capture_output=True, check=False)
            leftover.unlink(missing_ok=True)


def mounts_below(*roots: Path) -> list[str]:
    """Mount points at or below any of ``roots``, deepest first."""
    found = []
    prefixes = [str(r.resolve()) for r in roots]
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if any(point == p or point.startswith(p + "/") for p in prefixes):
            found.append(point)
    return sorted(set(found), key=lambda p: p.count("/"), reverse=True)


def unmount_below(*roots: Path) -> None:
    """Unmount everything below ``roots`` (lazily if busy) until nothing is left."""
    for _attempt in range(5):
        points = mounts_below(*roots)
        if not points:
            return
        for point in points:
            if subprocess.run(["umount", point], capture_output=True, check=False).returncode != 0:
                subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    left = mounts_below(*roots)
    if left:
        raise HostNetError(f"still mounted after cleanup: {left}")


def mount_points() -> list[str]:
    """Every mount point of this mount namespace, for before/after comparisons."""
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    return sorted(line.split()[4] for line in lines)
