"""The embedded PostgreSQL is closed: no password, no way in; the application's role cannot reach
the server's files or run programs; the secrets sit where the server's OS user cannot read them.

Each test here is an attack that worked against the trust-authenticated server of before.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from audit.signed_checkpoint import Checkpoint, SignedCheckpointFile
from storeplane.local_postgres import (
    _BIN,
    APP_ROLE,
    SERVICE_USER,
    SUPERUSER,
    LocalPostgres,
    _service_account,
)


@pytest.fixture
def server(postgres_server: LocalPostgres | None) -> LocalPostgres:
    if postgres_server is None:
        pytest.skip("DATABASE_URL names an external server; these tests attack the embedded one")
    return postgres_server


def _as_user(user: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Runs `argv` as another local user (only root can), with no password in its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    account = pwd.getpwnam(user)
    return subprocess.run(
        ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups",
         "--", *argv],
        capture_output=True, text=True, env=env, cwd="/", check=False, timeout=30,
    )


PWNED = "/tmp/storeplane-pwned"  # noqa: S108 (where an attack would leave its mark)
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="acting as another OS user needs root")


@pytest.mark.parametrize("role", [SUPERUSER, APP_ROLE])
def test_a_connection_without_a_password_is_refused(server: LocalPostgres, role: str) -> None:
    port = server.url().rsplit(":", 1)[1].split("/")[0]
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(f"postgresql://{role}@127.0.0.1:{port}/postgres", connect_timeout=5)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(f"postgresql://{role}:guess@127.0.0.1:{port}/postgres", connect_timeout=5)


@needs_root
def test_another_local_user_gets_in_neither_by_tcp_nor_by_socket(server: LocalPostgres) -> None:
    port = server.url().rsplit(":", 1)[1].split("/")[0]
    tcp = _as_user("nobody", [str(_BIN / "psql"), "-w", "-h", "127.0.0.1", "-p", port,
                              "-U", SUPERUSER, "-d", "postgres", "-c", "SELECT 1"])
    assert tcp.returncode != 0
    assert "password" in tcp.stderr
    # No Unix socket at all: not in the usual places, nor anywhere in the data directory.
    for directory in ("/tmp", "/var/run/postgresql", str(server.pgdata)):  # noqa: S108
        socket = _as_user("nobody", [str(_BIN / "psql"), "-w", "-h", directory, "-p", port,
                                     "-U", SUPERUSER, "-d", "postgres", "-c", "SELECT 1"])
        assert socket.returncode != 0
    assert not list(server.data_dir.rglob(".s.PGSQL.*"))


@needs_root
def test_the_passwords_and_the_audit_key_are_unreadable_to_other_users(
    server: LocalPostgres, tmp_path: Path
) -> None:
    signed = SignedCheckpointFile(server.data_dir / "audit", "attack_test")
    signed.advance(Checkpoint(position=1, count=1, head=b"\x00" * 32))
    targets = [*server.secrets_dir.iterdir(), server.data_dir / "audit" / "checkpoint.key"]
    assert len(targets) == 3
    for user in ("nobody", SERVICE_USER):
        for target in targets:
            attempt = _as_user(user, ["cat", str(target)])
            assert attempt.returncode != 0, (user, target)
            assert "Permission denied" in attempt.stderr, (user, target)
    assert stat.S_IMODE(server.pgdata.stat().st_mode) == 0o700
    assert stat.S_IMODE(server.secrets_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((server.data_dir / "audit").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(t.stat().st_mode) == 0o600 for t in targets)
    # The data directory itself: the server's user may pass through it, not list it.
    assert stat.S_IMODE(server.data_dir.stat().st_mode) & 0o044 == 0


def test_the_application_role_is_no_superuser(server: LocalPostgres) -> None:
    with psycopg.connect(server.url()) as conn:
        row = conn.execute(
            "SELECT current_user, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert row == (APP_ROLE, False, False)
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        ).fetchone()
        assert owner == (APP_ROLE,)


@pytest.mark.parametrize(
    "attack",
    [
        pytest.param(f"COPY (SELECT 1) TO PROGRAM 'id > {PWNED}'", id="copy-to-program"),
        pytest.param("SELECT pg_read_file('PG_VERSION')", id="pg_read_file"),
        pytest.param("SELECT pg_read_binary_file('/etc/passwd')", id="pg_read_binary_file"),
        pytest.param("SELECT pg_ls_dir('.')", id="pg_ls_dir"),
        pytest.param(f"COPY (SELECT 1) TO '{PWNED}'", id="copy-to-file"),
        pytest.param("ALTER SYSTEM SET log_statement = 'all'", id="alter-system"),
        pytest.param("CREATE ROLE mallory SUPERUSER", id="create-superuser"),
    ],
)
def test_the_application_role_cannot_reach_the_servers_files_or_programs(
    server: LocalPostgres, attack: str
) -> None:
    with psycopg.connect(server.url(), autocommit=True) as conn, pytest.raises(
        errors.InsufficientPrivilege
    ):
        conn.execute(attack.encode())
    assert not Path(PWNED).exists()


def test_a_trust_data_directory_of_before_is_closed_on_start(tmp_path: Path) -> None:
    """A data directory initialised with `--auth=trust` (storeplane before this change) is given
    passwords and a pg_hba that demands them, and its database is handed to the app role."""
    old = LocalPostgres(tmp_path / "old", durable=False)
    old._prepare_directories(_service_account())
    old._run(["initdb", "-D", str(old.pgdata), "-U", SUPERUSER, "--auth=trust", "--no-sync"])
    old._start_server()
    try:
        port = old._port()
        trusting = f"postgresql://{SUPERUSER}@127.0.0.1:{port}"
        with psycopg.connect(f"{trusting}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE storeplane")
        with psycopg.connect(f"{trusting}/storeplane", autocommit=True) as conn:
            conn.execute("CREATE SCHEMA kept; CREATE TABLE kept.rows (id serial PRIMARY KEY, x int)")
        old.start()
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(f"{trusting}/postgres", connect_timeout=5)
        with psycopg.connect(old.url()) as conn:
            conn.execute("INSERT INTO kept.rows (x) VALUES (1)")
            assert conn.execute("SELECT count(*) FROM kept.rows").fetchone() == (1,)
    finally:
        old.stop()
