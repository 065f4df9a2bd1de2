"""``spatial-platform placenames …`` (seed, duplicates, import, export) and ``users …`` (tokens)."""

import time
from pathlib import Path
from typing import Annotated

import typer

from spatial_platform.cli.common import EncodingOption, progress_display, run_domain

placenames = typer.Typer(help="The place-name register: seed, report, import, export.", no_args_is_help=True)
users = typer.Typer(help="Users, roles and API tokens of the place-name register.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach ``placenames`` and ``users`` to the main CLI."""
    app.add_typer(placenames, name="placenames")
    app.add_typer(users, name="users")


_run = run_domain


@placenames.command("seed")
def seed_command() -> None:
    """Create or refresh one published record per division at every level loaded (idempotent)."""
    from placenames.seed import seed

    started = time.monotonic()
    with progress_display() as progress:
        report = _run(lambda conn: seed(conn, progress))
    typer.echo(
        f"placenames seeded in {time.monotonic() - started:.1f} s: {report.divisions} divisions, "
        f"{report.created} created, {report.changed} changed, {report.retired} retired, "
        f"{report.unchanged} unchanged, {report.kept_edits} kept with staff edits; "
        f"{report.published} published records"
    )


@placenames.command("duplicates")
def duplicates_command(
    division: Annotated[
        str | None, typer.Option(help="Only within this division code (e.g. 430000).")
    ] = None,
    scope: Annotated[
        str, typer.Option(help="parent (the register's rule), county, prefecture or province")
    ] = ("parent"),
) -> None:
    """List published names sharing name, category and level within a scope (kept, not refused)."""
    from placenames.report import SCOPES, duplicates
    from placenames.search import division_prefix

    if scope not in SCOPES:
        typer.secho(f"--scope must be one of {', '.join(SCOPES)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)

    async def work(conn):
        return await duplicates(conn, division_prefix(division), scope)

    groups = _run(work)
    for g in groups:
        ids = ", ".join(f"{i}" + (f" ({c})" if c else "") for i, c in zip(g["ids"], g["codes"], strict=True))
        typer.echo(f"{g['parent']} {g['path']}\t{g['name']}\t{g['level']}\t{len(g['ids'])} records: {ids}")
    typer.echo(f"{len(groups)} duplicate groups, {sum(len(g['ids']) for g in groups)} records", err=True)


@placenames.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, help="CSV, GeoJSON, GeoPackage or Shapefile (.shp/.zip)")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row, change nothing.")] = False,
    user: Annotated[str, typer.Option(help="Who the new records are attributed to.")] = "system",
    fmt: Annotated[str | None, typer.Option("--format", help="csv, geojson, gpkg or shp")] = None,
    encoding: EncodingOption = None,
) -> None:
    """Import new records for review; any invalid row is reported and nothing is imported."""
    from placenames import auth, bulk, files

    kind = _run_sync(lambda: files.format_of(file, fmt))
    typer.echo(f"Reading {file} ({kind})", err=True)
    rows = _run_sync(lambda: files.read_rows(file.resolve(), kind, encoding=encoding))

    async def work(conn):
        actor = await auth.find_user(conn, user)
        if actor is None:
            from placenames.errors import InvalidPlacename

            raise InvalidPlacename("user", f"no user {user}; create it with `spatial-platform users add`")
        return await bulk.import_rows(conn, actor, rows, dry_run, progress, source=file.name)

    with progress_display("rows") as progress:
        result = _run(work)
    if dry_run:
        typer.echo(f"dry run: all {result.rows} rows are valid; nothing was written")
    else:
        span = f" (ids {result.ids[0]}-{result.ids[-1]})" if result.ids else ""
        typer.echo(f"imported {result.created} records for review{span}")
    if result.ignored_columns:
        typer.echo(f"ignored columns: {', '.join(result.ignored_columns)}", err=True)


@placenames.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="Output file (.csv, .geojson, .gpkg or .zip for Shapefile)")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv, geojson, gpkg or shp")] = None,
    division: Annotated[str | None, typer.Option(help="Only within this division code.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
) -> None:
    """Export published records."""
    from placenames import bulk, files

    kind = _run_sync(lambda: files.format_of(file, fmt))
    rows = _run(lambda conn: bulk.published_rows(conn, division, category))
    typer.echo(f"Writing {len(rows)} records to {file}", err=True)
    _run_sync(lambda: files.write_rows(rows, kind, file))
    typer.echo(f"exported {len(rows)} published records to {file}")


def _run_sync(work):
    """Run blocking work, turning domain errors into a red message."""
    from placenames.errors import PlacenamesError

    try:
        return work()
    except PlacenamesError as exc:
        typer.secho(f"{exc.field}: {exc}" if exc.field else str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


@users.command("add")
def add_user_command(
    name: str,
    role: Annotated[str, typer.Option(help="public, editor, reviewer, admin or service (another system)")],
    rate: Annotated[
        float | None,
        typer.Option(
            help="A service client's quota in requests/s (default SP_PLACENAMES_SERVICE_RATE_PER_SECOND)"
        ),
    ] = None,
) -> None:
    """Create a user with a role; a service client gets its own rate limit, not the anonymous one."""
    from placenames import auth

    actor = _run(lambda conn: auth.add_user(conn, name, role, rate))
    quota = f" and a quota of {rate:g} requests/s" if rate else ""
    typer.echo(
        f"user {actor.name} added with role {actor.role}{quota}; issue a token with `users token {name}`"
    )


@users.command("token")
def token_command(
    name: str,
    rotate: Annotated[bool, typer.Option("--rotate", help="Also revoke the user's older tokens.")] = False,
) -> None:
    """Issue a new API token for a user and print it once (only its hash is stored), with its expiry."""
    from placenames import auth
    from spatial_platform.settings import PlacenamesSettings

    ttl = PlacenamesSettings().token_ttl_days
    issued = _run(lambda conn: auth.issue_token(conn, name, ttl, rotate=rotate))
    typer.echo(issued.token)
    typer.echo(f"Token {issued.id} for {name} expires {auth.when(issued.expires_at)} ({ttl} days).", err=True)
    if rotate:
        typer.echo(f"Revoked {issued.revoked} older token(s) of {name}.", err=True)
    typer.echo("Store this token now: it cannot be shown again.", err=True)


@users.command("revoke")
def revoke_command(name: str) -> None:
    """Revoke every token of a user: requests with them are refused (401) from now on."""
    from placenames import auth

    revoked = _run(lambda conn: auth.revoke_tokens(conn, name))
    typer.echo(f"revoked {revoked} token(s) of {name}")


@users.command("list")
def list_command() -> None:
    """List users: name, role, tokens usable now, the next expiry and the last use of a token."""
    from placenames import auth

    rows = _run(auth.list_users)
    typer.echo("name\trole\tactive_tokens\tnext_expiry\tlast_used")
    for r in rows:
        expiry = auth.when(r["next_expiry"]) if r["next_expiry"] else "-"
        used = auth.when(r["last_used_at"]) if r["last_used_at"] else "never"
        typer.echo(f"{r['name']}\t{r['role']}\t{r['active_tokens']}\t{expiry}\t{used}")
