"""Start and stop the real node's daemons inside the node's cgroup, with pid files.

Fed by ``node.py`` (command lines, the cgroup's ``cgroup.procs`` files, log and pid
dirs); feeds the host with containerd, CoreDNS, the kubelet and kube-proxy, each moved
into the node's cgroup *before* it execs (a shell writes its own pid, then execs), so
nothing they fork starts outside it. ``wait_until`` is the readiness loop every step uses.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# $1..: the cgroup.procs files, then "--", then the command.
_ENTER_CGROUP = 'while [ "$1" != -- ]; do echo $$ > "$1"; shift; done; shift; exec "$@"'


class NodeProcessError(RuntimeError):
    """A daemon exited or did not become ready; the message carries its log tail."""


def log_tail(log: Path, lines: int = 15) -> str:
    if not log.exists():
        return f"(no log at {log})"
    tail = log.read_text(errors="replace").splitlines()[-lines:]
    return f"--- {log} (last {len(tail)} lines) ---\n" + "\n".join(tail)


def start(name: str, args: Sequence[str], *, procs: Sequence[Path], logs: Path, pids: Path) -> int:
    """Run ``args`` detached, inside the cgroup, logging to ``logs/<name>.log``."""
    logs.mkdir(parents=True, exist_ok=True)
    pids.mkdir(parents=True, exist_ok=True)
    with (logs / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(
            ["/bin/sh", "-c", _ENTER_CGROUP, "sh", *map(str, procs), "--", *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (pids / f"{name}.pid").write_text(f"{process.pid}\n")
    return process.pid


def pid_of(name: str, pids: Path) -> int | None:
    """The live pid of a daemon, or None."""
    pid_file = pids / f"{name}.pid"
    if not pid_file.exists():
        return None
    text = pid_file.read_text().strip()
    if not text.isdigit():
        return None
    stat = Path(f"/proc/{text}/stat")
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None
    return None if state == "Z" else int(text)


def stop(name: str, pids: Path, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL after ``timeout``; reaps it if ours; removes the pid file."""
    pid_file = pids / f"{name}.pid"
    text = pid_file.read_text().strip() if pid_file.exists() else ""
    if text.isdigit():
        _reap(int(text))  # already dead (killed with its cgroup): collect the zombie
    pid = pid_of(name, pids)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_of(name, pids) is not None and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.1)
        if pid_of(name, pids) is not None:
            os.kill(pid, signal.SIGKILL)
        _reap(pid)
    (pids / f"{name}.pid").unlink(missing_ok=True)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def wait_until(
    check: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    watch: Sequence[str] = (),
    pids: Path,
    logs: Path,
) -> None:
    """Poll ``check`` until true; fail early if a watched daemon died, with its log."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        for name in watch:
            if pid_of(name, pids) is None:
                tail = log_tail(logs / f"{name}.log")
                raise NodeProcessError(f"{name} exited while waiting for {what}\n{tail}")
        if time.monotonic() > deadline:
            tails = "\n".join(log_tail(logs / f"{name}.log") for name in watch)
            raise NodeProcessError(f"{what}: not ready after {timeout:.0f}s\n{tails}")
        time.sleep(0.25)
