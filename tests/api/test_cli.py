"""The CLI around the API, as a user runs it: `tokens create` prints only the token, and `storeplane
up` serves the API beside the projections, printing an admin token on its first start only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]


def storeplane(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storeplane.cli", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": database_url}, cwd=ROOT, check=False,
    )


@pytest.fixture
def fresh_database(database_url: str) -> str:
    """A database no test has issued an admin token in, so `up` sees a first start."""
    name = f"storeplane_cli_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(database_url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    return urlunsplit(parts._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def platform(fresh_database: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "storeplane.cli", "up", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
        env={**os.environ, "DATABASE_URL": fresh_database},
    )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


def graphql(port: int, token: str, query: str) -> dict[str, object]:
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql", json={"query": query},
        headers={"Authorization": f"Bearer {token}"}, timeout=30,
    )
    body: dict[str, object] = response.json()
    return body


def wait_until_ready(port: int) -> None:
    for _ in range(600):  # a hang guard: the server is normally ready within a second or two
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the API never became ready")


def test_tokens_create_prints_the_token_alone(database_url: str, tenant: str) -> None:
    created = storeplane(database_url, "tokens", "create", "--tenant", tenant)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert created.stdout == token + "\n"
    assert token.startswith("sp_")
    listed = storeplane(database_url, "tokens", "list", "--tenant", tenant, "--json")
    assert token.split("_")[1] in listed.stdout
    assert token.split("_")[2] not in listed.stdout  # the secret is never stored, so never shown


def test_up_serves_the_api_and_prints_an_admin_token_on_first_start_only(
    platform: tuple[subprocess.Popen[str], int], fresh_database: str
) -> None:
    process, port = platform
    assert process.stdout is not None
    for line in process.stdout:  # not a terminal: the token is in a 0600 file, the log has its path
        if "the admin token is in " in line:
            break
    token_file = Path(line.split("the admin token is in ", 1)[1].split(" (", 1)[0])
    assert token_file.stat().st_mode & 0o777 == 0o600
    admin = token_file.read_text().strip()
    assert admin not in line
    wait_until_ready(port)
    assert graphql(port, admin, "{ me { admin } }") == {"data": {"me": {"admin": True}}}
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").text == "ok\n"
    assert "storeplane_api_operations_total" in httpx.get(f"http://127.0.0.1:{port}/metrics").text

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0

    second = subprocess.Popen(
        [sys.executable, "-m", "storeplane.cli", "up", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
        env={**os.environ, "DATABASE_URL": fresh_database},
    )
    wait_until_ready(port)
    second.send_signal(signal.SIGINT)
    output, _ = second.communicate(timeout=60)
    assert "GraphQL API at" in output
    assert "sp_" not in output
    tokens = storeplane(fresh_database, "tokens", "list", "--json")
    assert tokens.stdout.count('"admin": true') == 1
