"""A small async wrapper of the `helm` CLI: status, history, upgrade --install, rollback, uninstall.

Fed by the release actions and the observer; runs `helm` as a child process against the same
kubeconfig as the Kubernetes client, with JSON output. A child is killed when its caller is
cancelled, and (on Linux) when this process dies, so no helm keeps acting for a dead reconciler.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from reconciler.cluster.charts import ChartRef, StoreValues

# Time for helm itself beyond its --timeout (rendering, talking to the API) before we kill it.
OUTER_MARGIN = timedelta(seconds=60)
QUICK_TIMEOUT = timedelta(seconds=60)
_PR_SET_PDEATHSIG = 1


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
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=self._env(),
        )
        try:
            async with asyncio.timeout(limit.total_seconds()):
                stdout, stderr = await process.communicate()
        except BaseException:  # cancelled or timed out: never leave helm running on its own
            if process.returncode is None:
                process.kill()
                await process.wait()
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
