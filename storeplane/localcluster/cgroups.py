"""The real node's cgroup: nested under the caller's memory cgroup, in every v1 hierarchy.

Fed by ``/proc/self/cgroup`` and ``/proc/self/mountinfo``; feeds ``node.py`` with the
kubelet's ``cgroupRoot`` and the ``cgroup.procs`` files its processes are moved into
before they exec, and tears the whole subtree down (kill, then rmdir) on ``cluster down``.
On cgroup v1 the kubelet needs the root to exist in every hierarchy; cpuset children
start empty, so ``cpuset.cpus``/``cpuset.mems`` are copied down the path. runc mirrors
the same paths in the cgroup2 mount (hybrid mode); removal covers that mount too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

CGROUP_FS = "/sys/fs/cgroup"


class CgroupError(RuntimeError):
    """The node's cgroup could not be created or removed."""


def caller_memory_cgroup(proc_cgroup: str | None = None) -> str:
    """The memory cgroup path of this process (v1 ``memory`` line, else the v2 line)."""
    text = proc_cgroup if proc_cgroup is not None else Path("/proc/self/cgroup").read_text()
    unified = "/"
    for line in text.splitlines():
        _id, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return path
        if controllers == "":
            unified = path
    return unified


def hierarchies(mountinfo: str | None = None, *, unified: bool = False) -> list[Path]:
    """Mount points of every cgroup v1 hierarchy (cpu, memory, ..., name=systemd).

    ``unified``: the cgroup2 mount too (runc mirrors its v1 paths there in hybrid mode).
    """
    text = mountinfo if mountinfo is not None else Path("/proc/self/mountinfo").read_text()
    found: list[Path] = []
    for line in text.splitlines():
        fields = line.split()
        if " - " not in line:
            continue
        fs_type = line.split(" - ", 1)[1].split()[0]
        if fs_type == "cgroup" or (unified and fs_type == "cgroup2"):
            found.append(Path(fields[4]))
    return sorted(set(found))


def node_root(name: str) -> str:
    """The kubelet's cgroupRoot: the caller's memory cgroup plus a per-cluster name."""
    base = caller_memory_cgroup().rstrip("/")
    return f"{base}/storeplane-node-{name}"


def _copy_cpuset_down(mount: Path, path: str) -> None:
    current = mount
    for part in [p for p in path.split("/") if p]:
        parent, current = current, current / part
        current.mkdir(exist_ok=True)
        for knob in ("cpuset.cpus", "cpuset.mems"):
            if not (current / knob).read_text().strip():
                (current / knob).write_text((parent / knob).read_text())


def create(path: str, *, mounts: list[Path] | None = None) -> list[Path]:
    """Create ``path`` in every hierarchy; return the dirs (deepest last per hierarchy)."""
    created = []
    for mount in mounts if mounts is not None else hierarchies():
        if (mount / "cpuset.cpus").exists():
            _copy_cpuset_down(mount, path)
        target = mount / path.lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        created.append(target)
    return created


def procs_files(path: str) -> list[Path]:
    """``cgroup.procs`` of ``path`` in every hierarchy: write a pid to each to move it."""
    return [mount / path.lstrip("/") / "cgroup.procs" for mount in hierarchies()]


def pids_under(path: str) -> set[int]:
    """Every process in ``path`` or below, in any hierarchy."""
    pids: set[int] = set()
    for mount in hierarchies(unified=True):
        top = mount / path.lstrip("/")
        if not top.exists():
            continue
        for procs in top.rglob("cgroup.procs"):
            try:
                pids.update(int(p) for p in procs.read_text().split())
            except OSError:
                continue
    return pids


def kill_all(path: str, timeout: float = 20) -> None:
    """SIGKILL every process below ``path`` until none is left (containers included)."""
    deadline = time.monotonic() + timeout
    while pids := pids_under(path):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            raise CgroupError(f"processes still alive in {path}: {sorted(pids)}")
        time.sleep(0.1)


def remove(path: str, timeout: float = 20) -> None:
    """Kill what runs below ``path`` and remove the cgroup dirs, deepest first."""
    kill_all(path, timeout)
    deadline = time.monotonic() + timeout
    for mount in hierarchies(unified=True):
        top = mount / path.lstrip("/")
        if not top.exists():
            continue
        dirs = sorted((d for d in top.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True)
        for directory in [*dirs, top]:
            while directory.exists():
                try:
                    directory.rmdir()
                except OSError as error:
                    if time.monotonic() > deadline:
                        raise CgroupError(f"cannot remove {directory}: {error}") from error
                    time.sleep(0.1)


def leftovers(path: str) -> list[Path]:
    """The dirs of ``path`` that still exist (for checks after ``cluster down``)."""
    mounts = hierarchies(unified=True)
    return [m / path.lstrip("/") for m in mounts if (m / path.lstrip("/")).exists()]
