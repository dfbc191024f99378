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


def create(path: str) -> list[str]:
    """Create ``path`` in every v1 hierarchy and in the cgroup2 mount; return every dir this
    call created, parents included, so that ``remove_created`` can take them away again.

    The cgroup2 mount is included because runc mirrors the v1 path there (hybrid mode) with
    ``mkdir -p``: created here first, its parents are known and removed on ``down``.
    """
    created: list[str] = []
    for mount in hierarchies(unified=True):
        current = mount
        for part in [p for p in path.split("/") if p]:
            parent, current = current, current / part
            if not current.exists():
                current.mkdir()
                created.append(str(current))
            for knob in ("cpuset.cpus", "cpuset.mems"):
                if (current / knob).exists() and not (current / knob).read_text().strip():
                    (current / knob).write_text((parent / knob).read_text())
    return created


def remove_created(created: list[str], timeout: float = 20) -> list[str]:
    """rmdir the dirs ``create`` made, deepest first; return those still there (busy)."""
    left = []
    for directory in sorted(created, key=lambda d: d.count("/"), reverse=True):
        path = Path(directory)
        deadline = time.monotonic() + timeout
        while path.exists():
            try:
                path.rmdir()
            except OSError:
                if any(p.is_dir() for p in path.iterdir()) or time.monotonic() > deadline:
                    left.append(directory)  # another cgroup lives below it: not ours to remove
                    break
                time.sleep(0.1)
    return left


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
