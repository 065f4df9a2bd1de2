"""``spatial-platform db …``: the embedded cluster or external server, migrations, backup and restore."""

from pathlib import Path
from typing import Annotated

import psycopg
import typer
from sqlalchemy.engine import make_url

from spatial_platform.backup import revisions
from spatial_platform.cli.common import database_settings, ensure_ready, user_errors
from spatial_platform.embedded import EmbeddedCluster
from spatial_platform.settings import DatabaseSettings

db = typer.Typer(help="Manage the PostGIS database.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach ``db`` to the main CLI."""
    app.add_typer(db, name="db")


def _external_notice(settings: DatabaseSettings) -> None:
    typer.echo(f"DATABASE_URL is set, using the external server {_redacted(settings)}")


def _redacted(settings: DatabaseSettings) -> str:
    return make_url(settings.dsn()).render_as_string(hide_password=True)


@db.command()
def start() -> None:
    """Start the embedded PostgreSQL cluster (initialising it on first use)."""
    settings = database_settings()
    if not settings.embedded:
        _external_notice(settings)
        return
    with user_errors():
        cluster = EmbeddedCluster(settings)
        cluster.start()
        info = cluster.status()
    if cluster.migrated_to_password:
        typer.echo(f"Moved the cluster from trust to password authentication ({info['password_file']})")
    elif info["auth"] == "trust":
        typer.echo("The running cluster still trusts local logins: restart it (db stop; db start)", err=True)
    typer.echo(f"PostgreSQL: running (pid {info.get('pid')}) on 127.0.0.1:{info['port']}")
    typer.echo(f"DSN: {info['dsn']}")


@db.command()
def stop() -> None:
    """Stop the embedded PostgreSQL cluster."""
    settings = database_settings()
    if not settings.embedded:
        _external_notice(settings)
        return
    with user_errors():
        cluster = EmbeddedCluster(settings)
        was_running = cluster.is_running()
        cluster.stop()
    typer.echo("PostgreSQL: stopped" if was_running else "PostgreSQL: was not running")


@db.command()
def status() -> None:
    """Show whether the database server is running and how to reach it."""
    settings = database_settings()
    if settings.embedded:
        info = EmbeddedCluster(settings).status()
        state = f"running (pid {info['pid']})" if info["running"] else "stopped"
        typer.echo(f"PostgreSQL: {state}")
        typer.echo(f"Data directory: {info['pgdata']}")
        typer.echo(f"Port: {info['port']}")
        typer.echo(f"Authentication: {info['auth'] or '-'} (password in {info['password_file']})")
        typer.echo(f"DSN: {info['dsn']}")
        return
    typer.echo(f"External server: {_redacted(settings)}")
    with user_errors(), psycopg.connect(settings.dsn(), connect_timeout=10) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        postgis = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
    typer.echo(f"PostgreSQL: running (version {version[0] if version else '?'})")
    typer.echo(f"PostGIS: {postgis[0] if postgis else 'not installed'}")


@db.command()
def upgrade() -> None:
    """Create the database if needed and apply all migrations."""
    settings = database_settings()
    with user_errors():
        ensure_ready(settings)
        revision = revisions(settings.sqlalchemy_url())
    typer.echo(f"Database {settings.database_name} is at revision {revision or '(none)'}")


DatabaseOption = Annotated[
    str | None, typer.Option("--database", help="Database name (default: the application's).")
]


@db.command("backup")
def backup_command(
    file: Annotated[Path, typer.Argument(help="Backup file to write (pg_dump custom format).")],
    database_name: DatabaseOption = None,
) -> None:
    """Back up the database (schema, data and migration revision) with pg_dump -Fc."""
    from spatial_platform.backup import backup

    settings = database_settings()
    with user_errors():
        if settings.embedded:
            EmbeddedCluster(settings).start()
        written = backup(settings, file, database_name)
    size = written.stat().st_size / 1e6
    typer.echo(f"backed up {database_name or settings.database_name} to {written} ({size:.1f} MB)")


@db.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="A file written by `db backup` (pg_dump -Fc).")],
    database_name: DatabaseOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Drop and replace the database if it is not empty.")
    ] = False,
) -> None:
    """Restore a backup into a new or empty database (a non-empty one only with --force), then migrate it."""
    from spatial_platform.backup import restore

    settings = database_settings()
    with user_errors():
        if settings.embedded:
            EmbeddedCluster(settings).start()
        report = restore(settings, file, database_name, force)
    verb = "replaced" if report.replaced else "restored into"
    typer.echo(
        f"{verb} database {report.database} from {file} (backup at revision {report.restored_revision}, "
        f"now at {report.revision})"
    )
