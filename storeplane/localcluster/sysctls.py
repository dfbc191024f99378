"""Kernel settings the node may change: recorded before it starts, restored on ``down``.

Fed by ``/proc/sys``; feeds ``node.py`` (``record`` before the kubelet and kube-proxy
start, ``restore`` after they stop) and the machine-rule tests (``snapshot``). The
kubelet sets ``kernel.panic``, ``kernel.panic_on_oops`` and ``vm.overcommit_memory``
at start-up (its ``protectKernelDefaults`` would refuse to start instead); kube-proxy
may touch conntrack and ``route_localnet``. Every one of them is put back.
"""

from __future__ import annotations

import json
from pathlib import Path

PROC_SYS = Path("/proc/sys")

WATCHED: tuple[str, ...] = (
    "kernel.panic",
    "kernel.panic_on_oops",
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.forwarding",
    "net.ipv4.conf.all.route_localnet",
    "net.bridge.bridge-nf-call-iptables",
    "net.bridge.bridge-nf-call-ip6tables",
    "net.netfilter.nf_conntrack_max",
    "net.netfilter.nf_conntrack_tcp_timeout_established",
    "net.netfilter.nf_conntrack_tcp_timeout_close_wait",
    "net.netfilter.nf_conntrack_tcp_be_liberal",
    "net.ipv6.conf.all.forwarding",
)


def _path(name: str) -> Path:
    return PROC_SYS / name.replace(".", "/")


def snapshot(names: tuple[str, ...] = WATCHED) -> dict[str, str]:
    """Current values of the watched settings that exist on this kernel."""
    values = {}
    for name in names:
        try:
            values[name] = _path(name).read_text().strip()
        except OSError:
            continue
    return values


def record(state_file: Path) -> dict[str, str]:
    """Save the values before the node starts (kept if already saved: a restart)."""
    if state_file.exists():
        saved: dict[str, str] = json.loads(state_file.read_text())
        return saved
    values = snapshot()
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(values, indent=2) + "\n")
    return values


def restore(state_file: Path) -> list[str]:
    """Write back every recorded value that changed; return the names restored."""
    if not state_file.exists():
        return []
    saved: dict[str, str] = json.loads(state_file.read_text())
    now = snapshot(tuple(saved))
    restored = []
    for name, value in saved.items():
        if now.get(name) != value:
            _path(name).write_text(value + "\n")
            restored.append(name)
    state_file.unlink()
    return restored
