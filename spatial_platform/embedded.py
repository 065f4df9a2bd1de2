"""A private PostgreSQL 15 + PostGIS 3 cluster managed with initdb and pg_ctl."""

import contextlib
import os
import pwd
import re
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from spatial_platform.pgauth import HBA, ensure_secret, read_secret, scram_verifier, uses_trust
from spatial_platform.settings import DatabaseSettings

APT_HINT = "install it with `sudo apt-get install postgresql-15-postgis-3`"
SERVICE_USER = "postgres"
CONF_FILE = "spatial_platform.conf"
EXTENSIONS = ("postgis", "pg_trgm", "btree_gist")
TUNING = {
    "shared_buffers": "1GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "effective_cache_size": "16GB",
    "max_wal_size": "4GB",
}


class EmbeddedDatabaseError(RuntimeError):
    """The embedded cluster cannot be set up, started or reached."""


class EmbeddedCluster:
    """Lifecycle of the embedded cluster in ``data_dir/pgdata``, listening on loopback only."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self.settings = settings
        self.migrated_to_password = False

    @property
    def data_dir(self) -> Path:
        """Absolute data directory (relative settings resolve against the cwd)."""
        return self.settings.data_dir.expanduser().resolve()

    @property
    def pgdata(self) -> Path:
        """Absolute path of the PostgreSQL data directory."""
        return self.data_dir / "pgdata"

    @property
    def log_file(self) -> Path:
        """Server log written by pg_ctl."""
        return self.data_dir / "postgres.log"

    @property
    def password_file(self) -> Path:
        """The generated password of the ``postgres`` role (mode 0600; root-owned when run as root)."""
        return self.settings.password_file

    @property
    def hba_file(self) -> Path:
        """The cluster's client authentication file."""
        return self.pgdata / "pg_hba.conf"

    @property
    def port(self) -> int:
        """TCP port the server listens on (127.0.0.1 only)."""
        return self.settings.db_port

    def check_binaries(self) -> None:
        """Raise EmbeddedDatabaseError unless initdb, pg_ctl and PostGIS are installed."""
        pg_bin = self.settings.pg_bin
        wanted = [pg_bin / "initdb", pg_bin / "pg_ctl"]
        missing = [p for p in wanted if not os.access(p, os.X_OK)]
        control = _postgis_control(pg_bin)
        if not control.is_file():
            missing.append(control)
        if missing:
            looked = ", ".join(str(p) for p in missing)
            raise EmbeddedDatabaseError(
                f"PostgreSQL 15 with PostGIS 3 is required: {APT_HINT} (looked for {looked})"
            )

    def init(self) -> None:
        """Create the cluster with initdb unless it already exists (idempotent)."""
        self.check_binaries()
        self._prepare_data_dir()
        if not (self.pgdata / "PG_VERSION").is_file():
            password = ensure_secret(self.password_file)
            with self._pwfile(password) as pwfile:
                self._run(
                    "initdb",
                    *("-D", str(self.pgdata), "-E", "UTF8", "--locale=C.UTF-8"),
                    *("-U", SERVICE_USER, "--auth=scram-sha-256", f"--pwfile={pwfile}"),
                )
            self._write_hba()
        self._write_config()

    def is_running(self) -> bool:
        """Whether pg_ctl reports a server running on this data directory."""
        return self._pid() is not None

    def start(self) -> None:
        """Initialise if needed, start the server unless running, and ensure the app database."""
        self.check_binaries()
        if not self.is_running():
            self._ensure_port_free()
            self.init()
            trusting = uses_trust(self.hba_file.read_text())
            if trusting:
                password = ensure_secret(self.password_file)
            elif read_secret(self.password_file) is None:
                raise EmbeddedDatabaseError(
                    f"The cluster in {self.pgdata} needs a password but {self.password_file} is "
                    "missing: restore that file (the postgres role's password, mode 0600)"
                )
            result = self._run(
                "pg_ctl",
                *("-D", str(self.pgdata), "-l", str(self.log_file), "-w", "-t", "120", "start"),
                check=False,
            )
            if result.returncode != 0:
                raise EmbeddedDatabaseError(
                    f"PostgreSQL failed to start (see {self.log_file}):\n{self._log_tail()}"
                )
            if trusting:
                self._adopt_password(password)
        ensure_database(self.settings.dsn("postgres"), self.settings.db_name)

    def stop(self) -> None:
        """Stop the server (fast shutdown) if it is running."""
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop")

    def status(self) -> dict[str, Any]:
        """Report whether the server runs, with its data directory, port, DSN and pid."""
        pid = self._pid()
        info: dict[str, Any] = {
            "running": pid is not None,
            "pgdata": str(self.pgdata),
            "port": self.port,
            "dsn": _redact(self.settings.dsn()),
            "password_file": str(self.password_file),
            "auth": self.auth_method(),
        }
        if pid is not None:
            info["pid"] = pid
        return info

    def auth_method(self) -> str | None:
        """``password``, or ``trust`` (old), changed on its next start; None before initdb."""
        try:
            return "trust" if uses_trust(self.hba_file.read_text()) else "password"
        except FileNotFoundError:
            return None

    def _adopt_password(self, password: str) -> None:
        """Migrate an old trust cluster: set the role's password while trust applies, then require it."""
        with self._connect(password) as conn:
            verifier = sql.Literal(scram_verifier(password))
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(SERVICE_USER), verifier))
            self._write_hba()
            conn.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 10
        while True:  # the postmaster reloads pg_hba.conf asynchronously; wait until a guess is refused
            try:
                self._connect("not-the-password").close()
            except psycopg.OperationalError:
                break
            if time.monotonic() > deadline:
                raise EmbeddedDatabaseError(f"{self.hba_file} was rewritten but the server still trusts")
            time.sleep(0.1)
        self.migrated_to_password = True

    def _connect(self, password: str) -> psycopg.Connection:
        """Connect to the maintenance database as ``postgres`` over loopback."""
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SERVICE_USER,
            dbname="postgres",
            password=password,
            autocommit=True,
            connect_timeout=10,
        )

    def _write_hba(self) -> None:
        """Write the managed pg_hba.conf: SCRAM passwords on loopback and the socket, no trust."""
        self.hba_file.write_text(HBA)
        os.chmod(self.hba_file, 0o600)
        if _as_root():
            user = pwd.getpwnam(SERVICE_USER)
            os.chown(self.hba_file, user.pw_uid, user.pw_gid)

    @contextlib.contextmanager
    def _pwfile(self, password: str):
        """A temporary copy of the password that initdb (possibly as ``postgres``) can read."""
        fd, name = tempfile.mkstemp(prefix="sp-pwfile-")
        try:
            os.write(fd, f"{password}\n".encode())
            os.close(fd)
            if _as_root():
                user = pwd.getpwnam(SERVICE_USER)
                os.chown(name, user.pw_uid, user.pw_gid)
            yield name
        finally:
            os.unlink(name)

    def _pid(self) -> int | None:
        initialised = (self.pgdata / "PG_VERSION").is_file()
        if not initialised or not (self.settings.pg_bin / "pg_ctl").exists():
            return None
        result = self._run("pg_ctl", "-D", str(self.pgdata), "status", check=False)
        match = re.search(r"PID: (\d+)", result.stdout)
        return int(match.group(1)) if result.returncode == 0 and match else None

    def _run(self, binary: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.settings.pg_bin / binary), *args]
        if _as_root():
            cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
        cwd = self.data_dir if self.data_dir.is_dir() else Path("/")
        result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            output = (result.stderr or result.stdout).strip()
            raise EmbeddedDatabaseError(f"{binary} failed (exit {result.returncode}): {output}")
        return result

    def _prepare_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not _as_root():
            return
        try:
            user = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            raise EmbeddedDatabaseError(
                f"Running as root needs the `{SERVICE_USER}` system user: {APT_HINT}"
            ) from None
        _check_traversable(self.data_dir, user)
        for path in (self.data_dir, self.pgdata, self.log_file):
            if path.exists() and path.stat().st_uid != user.pw_uid:
                os.chown(path, user.pw_uid, user.pw_gid)
                if path.is_dir():
                    for child in path.rglob("*"):
                        os.chown(child, user.pw_uid, user.pw_gid, follow_symlinks=False)

    def _write_config(self) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "password_encryption": "'scram-sha-256'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.pgdata}'",
            **TUNING,
        }
        conf = self.pgdata / CONF_FILE
        conf.write_text(
            "# Managed by spatial-platform; rewritten on every start.\n"
            + "".join(f"{key} = {value}\n" for key, value in settings.items())
        )
        main = self.pgdata / "postgresql.conf"
        include = f"include_if_exists = '{CONF_FILE}'"
        if include not in main.read_text():
            with main.open("a") as handle:
                handle.write(f"\n{include}\n")
        if _as_root():
            user = pwd.getpwnam(SERVICE_USER)
            os.chown(conf, user.pw_uid, user.pw_gid)

    def _ensure_port_free(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(1)
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise EmbeddedDatabaseError(
                    f"Port {self.port} on 127.0.0.1 is already used by another server; "
                    "choose a free one with SP_DB_PORT"
                )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log written)"


def ensure_database(admin_dsn: str, name: str) -> None:
    """Create database ``name`` if missing and install postgis, pg_trgm and btree_gist in it."""
    try:
        admin = psycopg.connect(admin_dsn, autocommit=True)
    except psycopg.OperationalError:
        admin = None  # no maintenance database access: the target must already exist
    if admin is not None:
        with admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(admin_dsn, dbname=name, autocommit=True) as conn:
        for extension in EXTENSIONS:
            conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension)))


def drop_database(admin_dsn: str, name: str) -> None:
    """Drop database ``name`` if it exists, terminating its connections."""
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _redact(dsn: str) -> str:
    """Hide the password of a URL (for status output)."""
    return re.sub(r"^(\w[\w+]*://[^:/@]+):[^@]*@", r"\1:***@", dsn)


def _as_root() -> bool:
    return os.geteuid() == 0


def _postgis_control(pg_bin: Path) -> Path:
    candidates: list[Path] = []
    pg_config = pg_bin / "pg_config"
    if os.access(pg_config, os.X_OK):
        result = subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    major = pg_bin.parent.name
    candidates += [
        Path("/usr/share/postgresql") / major,
        pg_bin.parent / "share",
        pg_bin.parent / "share" / "postgresql",
    ]
    controls = [share / "extension" / "postgis.control" for share in candidates]
    return next((c for c in controls if c.is_file()), controls[0])


def _check_traversable(path: Path, user: pwd.struct_passwd) -> None:
    groups = set(os.getgrouplist(user.pw_name, user.pw_gid))
    for parent in reversed(path.parents):
        mode = os.stat(parent)
        if mode.st_uid == user.pw_uid:
            ok = bool(mode.st_mode & stat.S_IXUSR)
        elif mode.st_gid in groups:
            ok = bool(mode.st_mode & stat.S_IXGRP)
        else:
            ok = bool(mode.st_mode & stat.S_IXOTH)
        if not ok:
            raise EmbeddedDatabaseError(
                f"The `{user.pw_name}` user cannot enter {parent} "
                f"(mode {stat.filemode(mode.st_mode)}, uid {mode.st_uid}, gid {mode.st_gid}); "
                "point SP_DATA_DIR at a directory it can reach, e.g. /var/tmp/spatial-platform"
            )
