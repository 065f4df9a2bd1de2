"""Command-line interface: ``spatial-platform db …`` (and ``serve`` / ``ingest …``)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from boundaries.errors import SourceDataError
from spatial_platform import db as database
from spatial_platform.backup import revisions
from spatial_platform.cli_boundaries import boundaries, ingest_boundaries_command
from spatial_platform.cli_geocode import geocode_command
from spatial_platform.cli_placenames import placenames, users
from spatial_platform.cli_planning import register as register_planning
from spatial_platform.cli_tiles import tiles
from spatial_platform.cli_villages import ingest_villages_command
from spatial_platform.embedded import EmbeddedCluster, EmbeddedDatabaseError, ensure_database
from spatial_platform.settings import (
    ApiSettings,
    AreacodesSettings,
    DatabaseSettings,
    ServerSettings,
)

app = typer.Typer(
    help="China administrative-division platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db = typer.Typer(help="Manage the PostGIS database.", no_args_is_help=True)
ingest = typer.Typer(help="Load reference data sets into the database.", no_args_is_help=True)
app.add_typer(db, name="db")
app.add_typer(ingest, name="ingest")
app.add_typer(boundaries, name="boundaries")
ingest.command("boundaries")(ingest_boundaries_command)
app.command("geocode")(geocode_command)
ingest.command("villages")(ingest_villages_command)
app.add_typer(tiles, name="tiles")
app.add_typer(placenames, name="placenames")
app.add_typer(users, name="users")
register_planning(app)


def database_settings() -> DatabaseSettings:
    """Read the database settings from the environment."""
    return DatabaseSettings()


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn database set-up failures into a red one-line message and exit code 1."""
    try:
        yield
    except (EmbeddedDatabaseError, psycopg.OperationalError, DBAPIError) as exc:
        message = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip()
        typer.secho(message, fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


def ensure_ready(settings: DatabaseSettings) -> str:
    """Start the embedded cluster if used, create the database, migrate it; return its DSN."""
    if settings.embedded:
        EmbeddedCluster(settings).start()
    else:
        ensure_database(settings.dsn("postgres"), settings.database_name)
    database.upgrade(settings.sqlalchemy_url())
    return settings.dsn()


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


@ingest.command("areacodes")
def ingest_areacodes_command(
    path: Annotated[
        Path | None, typer.Argument(help="areacodes checkout (default ../shared/data/areacodes)")
    ] = None,
    force: Annotated[bool, typer.Option(help="Rewrite even when the data is unchanged.")] = False,
) -> None:
    """Load the 1981-2024 division codes, their lineage and official documents."""
    from boundaries.ingest import ingest_areacodes

    root = path or AreacodesSettings().areacodes_path
    settings = database_settings()
    with user_errors():
        dsn = ensure_ready(settings)

    def progress(stage: str, done: int, total: int) -> None:
        typer.echo(f"  [{done}/{total}] {stage}", err=True)

    typer.echo(f"Loading areacodes from {root.resolve()}")
    try:
        report = database.run_on(
            dsn, lambda conn: ingest_areacodes(conn, root, progress=progress, force=force)
        )
    except SourceDataError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    first, last = report.years
    state = "loaded" if report.changed else "already loaded, unchanged"
    typer.echo(
        f"areacodes {state}: {report.versions} division versions {first}-{last}, "
        f"{report.events} change events, {report.edges} lineage edges "
        f"(data version {report.data_version})"
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default SP_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default SP_PORT or 8000).")] = None,
) -> None:
    """Serve the API (and, as they land, the map) with uvicorn."""
    import uvicorn

    from spatial_platform.app import create_app

    server = ServerSettings()
    settings = database_settings()
    with user_errors():
        ensure_ready(settings)
    app_ = create_app(settings, ApiSettings())
    # uvicorn trusts X-Forwarded-* from 127.0.0.1 by default; only SP_TRUSTED_PROXIES may set them.
    trusted = server.trusted_proxies.strip()
    uvicorn.run(
        app_,
        host=host or server.host,
        port=port or server.port,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )
