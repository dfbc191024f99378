"""The platform as a user runs it: `storeplane up` in a subprocess serving the built dashboard at `/`.

Fed by the suite's PostgreSQL (DATABASE_URL) and the built `web/dist`; feeds the browser tests a
base URL and tokens made with `storeplane tokens create`, as an operator would make them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STOREPLANE = Path(sys.executable).with_name("storeplane")
START_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_dashboard() -> Path:
    """Builds web/dist (npm ci + vite build, skipped when up to date), as `make up` does."""
    subprocess.run([str(REPO / "web" / "scripts" / "build.sh")], check=True)
    dist = REPO / "web" / "dist"
    assert (dist / "index.html").is_file(), f"the dashboard build left no {dist / 'index.html'}"
    return dist


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return int(error.code), ""
    except OSError:
        return 0, ""


@dataclass
class Platform:
    """One `storeplane up` process on a loopback port; restartable on the same port and database."""

    database_url: str
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    command: tuple[str, ...] = ("up",)  # ("api",): the API alone, without the reconciler
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.database_url, **self.extra_env}

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(STOREPLANE), *self.command, "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env(), stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
        )
        self._wait_until_serving()

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"storeplane {self.command[0]} exited {self.process.returncode}:\n{self.log_tail()}"
                )
            ready, _ = _get(f"{self.base_url}/readyz")
            page, html = _get(f"{self.base_url}/")
            if ready == 200 and page == 200 and 'id="root"' in html:
                return
            time.sleep(0.3)
        raise RuntimeError(
            f"storeplane up did not serve the dashboard at {self.base_url}/:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def token(self, tenant: str) -> str:
        """A tenant token, made by the operator CLI; the CLI prints it alone on stdout."""
        done = subprocess.run(
            [str(STOREPLANE), "tokens", "create", "--tenant", tenant],
            env=self.env(), capture_output=True, text=True, check=True, cwd=REPO,
        )
        return done.stdout.strip()

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [str(STOREPLANE), *args], env=self.env(), capture_output=True, text=True, check=True, cwd=REPO,
        )
        return done.stdout

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
