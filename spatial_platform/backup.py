"""Back up and restore a database with pg_dump / pg_restore (custom format) from SP_PG_BIN.

Works for the embedded cluster and a DATABASE_URL server alike; the password goes to the client
programs in PGPASSWORD, never on their command line.
"""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from alembic.runtime.migration import MigrationContext
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from spatial_platform import db as database
from spatial_platform.embedded import EmbeddedDatabaseError, drop_database
from spatial_platform.settings import DatabaseSettings

# Tables and views the user made (not PostgreSQL's, not an extension's such as spatial_ref_sys).
USER_RELATIONS = """
    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg_toast%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
"""


class BackupError(EmbeddedDatabaseError):
    """A backup or restore cannot be made (the CLI prints it and exits 1)."""


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did: the database, whether it replaced one, and its migration revisions."""

    database: str
    replaced: bool
    restored_revision: str | None
    revision: str | None


def client(settings: DatabaseSettings, db_name: str | None) -> tuple[str, dict[str, str]]:
    """Return the connection URL without its password and an environment carrying it in PGPASSWORD."""
    url = make_url(settings.dsn(db_name))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def backup(settings: DatabaseSettings, file: Path, db_name: str | None = None) -> Path:
    """Write the whole database (schema, data, migration revision) to ``file`` in custom format."""
    url, env = client(settings, db_name)
    file = file.expanduser().resolve()
    file.parent.mkdir(parents=True, exist_ok=True)
    _run(settings, "pg_dump", ["--format=custom", f"--file={file}", f"--dbname={url}"], env)
    return file


def is_empty(dsn: str) -> bool:
    """Tell whether a database holds no tables or views of its own."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(USER_RELATIONS).fetchone()[0] == 0


def exists(admin_dsn: str, name: str) -> bool:
    """Tell whether database ``name`` exists on the server."""
    with psycopg.connect(admin_dsn) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def restore(
    settings: DatabaseSettings, file: Path, db_name: str | None = None, force: bool = False
) -> RestoreReport:
    """Restore ``file`` into a new or empty database (with ``force``, replace a non-empty one).

    The restore runs in one transaction (a failure leaves the target as it was); afterwards the
    database is migrated to the current revision, so an older backup becomes usable.
    """
    file = file.expanduser().resolve()
    if not file.is_file():
        raise BackupError(f"no backup file {file}")
    target = db_name or settings.database_name
    admin = settings.dsn("postgres")
    replaced = False
    if exists(admin, target) and not is_empty(settings.dsn(target)):
        if not force:
            raise BackupError(
                f"database {target} is not empty; restore into another one with --database NAME "
                "or pass --force to drop and replace it"
            )
        drop_database(admin, target)
        replaced = True
    if not exists(admin, target):
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
    url, env = client(settings, target)
    args = ["--no-owner", "--exit-on-error", "--single-transaction", f"--dbname={url}", str(file)]
    _run(settings, "pg_restore", args, env)
    restored = revisions(settings.sqlalchemy_url(target))
    try:
        database.upgrade(settings.sqlalchemy_url(target))
    except Exception as exc:  # e.g. a backup made by a newer version of the code
        raise BackupError(
            f"restored {target} at revision {restored}, but migrating it failed: {exc}"
        ) from None
    return RestoreReport(target, replaced, restored, revisions(settings.sqlalchemy_url(target)))


def revisions(sqlalchemy_url: str) -> str | None:
    """Return the database's Alembic head revision(s), comma-separated (None if unversioned)."""
    engine = create_engine(sqlalchemy_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
    finally:
        engine.dispose()
    return ", ".join(sorted(heads)) or None


def _run(settings: DatabaseSettings, binary: str, args: list[str], env: dict[str, str]) -> None:
    """Run a PostgreSQL client program from SP_PG_BIN; BackupError with its message on failure."""
    program = settings.pg_bin / binary
    if not os.access(program, os.X_OK):
        raise BackupError(f"{program} not found: install postgresql-client-15 or set SP_PG_BIN")
    result = subprocess.run([str(program), *args], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise BackupError(f"{binary} failed (exit {result.returncode}): {output}")
