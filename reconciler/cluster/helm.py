"""A small async wrapper of the `helm` CLI: status, history, upgrade --install, rollback, uninstall.

Fed by the release actions and the observer; runs `helm` as a child process against the same
kubeconfig as the Kubernetes client, with JSON output. A child is killed when its caller is
cancelled or its time is up, and (on Linux) when this process dies, so no helm keeps acting for a
dead reconciler.

Why `subprocess.Popen` and a thread, not `asyncio.create_subprocess_exec`: on uvloop that forks the
whole process while holding the event loop, about 8 ms per child for a reconciler of 150 MB
(`bench/helm_spawn.py`), time in which no other store is worked on. Popen starts the child with
vfork (0.3 ms), and only the wait for its output runs on a thread. (Observing a release no longer
starts helm at all where its Secrets can be read: `release_records`.)
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from postgres.threads import Threads
from reconciler.cluster.charts import ChartRef, StoreValues

# Time for helm itself beyond its --timeout (rendering, talking to the API) before we kill it.
OUTER_MARGIN = timedelta(seconds=60)
QUICK_TIMEOUT = timedelta(seconds=60)
_PR_SET_PDEATHSIG = 1
# Threads that wait for helm's output: one per child running at once; a reconciler runs at most one
# helm per store it works on, so this is above any concurrency it is configured with.
_WAITERS = Threads(256)


class HelmError(Exception):
    """helm exited non-zero; `stderr` holds its message, which `failures` classifies."""

    def __init__(self, command: str, returncode: int, stderr: str) -> None:
        self.command = command
        self.returncode = returncode
        self.stderr = stderr.strip()
        super().__init__(f"helm {command} failed (exit {returncode}): {self.stderr}")

    @property
    def not_found(self) -> bool:
        return "release: not found" in self.stderr.lower()


# The parent-death signal is set by `setpriv` (util-linux) in the child rather than by a
# `preexec_fn`: that runs Python between fork and exec, which is unsafe in a process with threads
# (ours has the records' and the event store's). Where `setpriv` is missing (not Linux) a helm
# still dies with its caller's cancellation, just not with a killed reconciler.
_SETPRIV = shutil.which("setpriv") if sys.platform.startswith("linux") else None
_DIE_WITH_PARENT: tuple[str, ...] = (_SETPRIV, "--pdeathsig", "KILL", "--") if _SETPRIV else ()
# What helm needs from our environment: where to find programs and its own settings, the
# in-cluster API address, and HELM_* (driver, plugins). Nothing else — least of all DATABASE_URL.
_PASSED_ON = ("PATH", "HOME", "TMPDIR", "LANG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")


@dataclass(frozen=True)
class Helm:
    binary: str = "helm"
    kubeconfig: Path | None = None
    # HELM_{CONFIG,CACHE,DATA}_HOME, so the reconciler never reads or writes a user's helm setup.
    home: Path | None = None

    def _env(self, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
        env = {k: v for k, v in environ.items() if k in _PASSED_ON or k.startswith("HELM_")}
        if self.kubeconfig is None and "KUBECONFIG" in environ:
            env["KUBECONFIG"] = environ["KUBECONFIG"]
        if self.home is not None:
            for kind in ("CONFIG", "CACHE", "DATA"):
                env[f"HELM_{kind}_HOME"] = str(self.home / kind.lower())
        return env

    async def run(self, args: Sequence[str], *, limit: timedelta) -> str:
        command = [*_DIE_WITH_PARENT, self.binary, *args]
        if self.kubeconfig is not None:
            command += ["--kubeconfig", str(self.kubeconfig)]
        # Popen in a coroutine on purpose: its start is a vfork (0.3 ms, bench/helm_spawn.py),
        # and the wait, which does block, runs on a thread.
        process = subprocess.Popen(  # noqa: ASYNC220
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=self._env(),
        )
        try:
            stdout, stderr = await _WAITERS.run(process.communicate, timeout=limit.total_seconds())
        except subprocess.TimeoutExpired:
            await _killed(process)
            raise TimeoutError(f"helm {args[0]} took longer than {limit}") from None
        except BaseException:  # cancelled: never leave helm running on its own
            await _killed(process)
            raise
        if process.returncode != 0:
            raise HelmError(args[0], process.returncode or -1, stderr.decode(errors="replace"))
        return stdout.decode()

    async def status(self, release: str, namespace: str) -> dict[str, Any] | None:
        """The release as `helm status -o json` shows it, or None when there is none."""
        try:
            output = await self.run(
                ["status", release, "-n", namespace, "-o", "json"], limit=QUICK_TIMEOUT
            )
        except HelmError as error:
            if error.not_found:
                return None
            raise
        parsed: dict[str, Any] = json.loads(output)
        return parsed

    async def release(self, release: str, namespace: str) -> dict[str, Any] | None:
        """`helm status` (state, revision, user-supplied values) plus the chart (`name-version`),
        which only the history reports; None when there is no release."""
        status = await self.status(release, namespace)
        if status is None:
            return None
        latest = await self.history(release, namespace, limit=1)
        status["chart_id"] = latest[-1].get("chart", "") if latest else ""
        return status

    async def history(self, release: str, namespace: str, *, limit: int = 256) -> list[dict[str, Any]]:
        try:
            output = await self.run(
                ["history", release, "-n", namespace, "-o", "json", "--max", str(limit)],
                limit=QUICK_TIMEOUT,
            )
        except HelmError as error:
            if error.not_found:
                return []
            raise
        parsed: list[dict[str, Any]] = json.loads(output)
        return parsed

    async def upgrade_install(
        self, release: str, namespace: str, chart: ChartRef, values: StoreValues, *, wait: timedelta
    ) -> dict[str, Any]:
        args = [
            "upgrade", "--install", release, str(chart.path), "-n", namespace,
            "--atomic", "--wait", "--wait-for-jobs", "--timeout", f"{int(wait.total_seconds())}s",
            *values.set_string_args(), "-o", "json",
        ]
        for values_file in chart.values_files:
            args += ["-f", str(values_file)]
        output = await self.run(args, limit=wait + OUTER_MARGIN)
        parsed: dict[str, Any] = json.loads(output)
        return parsed

    async def rollback(self, release: str, namespace: str, revision: int, *, wait: timedelta) -> None:
        await self.run(
            ["rollback", release, str(revision), "-n", namespace, "--wait",
             "--timeout", f"{int(wait.total_seconds())}s"],
            limit=wait + OUTER_MARGIN,
        )

    async def uninstall(self, release: str, namespace: str, *, wait: timedelta) -> bool:
        """Uninstalls and waits for the resources to go; False when there was nothing to uninstall."""
        try:
            await self.run(
                ["uninstall", release, "-n", namespace, "--wait",
                 "--timeout", f"{int(wait.total_seconds())}s"],
                limit=wait + OUTER_MARGIN,
            )
        except HelmError as error:
            if error.not_found:
                return False
            raise
        return True


async def _killed(process: subprocess.Popen[bytes]) -> None:
    """Kills `process` and reaps it; the thread still in its `communicate` then returns too."""
    if process.poll() is None:
        process.kill()
    await asyncio.shield(_WAITERS.run(process.wait))
