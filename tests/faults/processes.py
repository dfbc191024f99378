"""Reconciler processes for fault scenarios: their output read as it comes (to see what a process
did after it was paused and resumed), and signals sent to them."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
from pathlib import Path

from tests.fixtures.kube import KubeCluster
from tests.reconciler.harness import reconciler_process


class Reconciler:
    """`storeplane reconciler` as its own process, with its log collected on a thread."""

    def __init__(
        self, database_url: str, cluster: KubeCluster, charts: Path, helm_home: Path,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.process = reconciler_process(database_url, cluster, charts, helm_home, extra_env=extra_env)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=10)
        return self.output

    async def said(self, text: str, *, within: float = 60) -> None:
        for _ in range(int(within / 0.2)):
            if text in self.output:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"the reconciler never said {text!r}:\n{self.output[-3000:]}")
