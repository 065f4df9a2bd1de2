"""``spatial-platform export divisions``: every division at a date with its boundary, as one file."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from spatial_platform.cli.common import AtOption, fail, parse_date, ready_dsn
from spatial_platform.db import run_on

export = typer.Typer(help="Bulk downloads of the register.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach ``export`` to the main CLI."""
    app.add_typer(export, name="export")


@export.command("divisions")
def divisions_command(
    at: AtOption = None,
    fmt: Annotated[str, typer.Option("--format", help="gpkg, geoparquet, geojson, csv or shp")] = "gpkg",
    level: Annotated[str | None, typer.Option(help="One level (default: county and above).")] = None,
    parent: Annotated[str | None, typer.Option(help="Only children of this code.")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder to write into (default: here).")] = None,
) -> None:
    """Write every division in force at --at with its boundary and provenance; print the file and SHA-256."""
    from boundaries import BoundariesError, IndexCache, check_code, check_level
    from boundaries import export as ex

    if fmt not in ex.FORMATS:
        fail(f"--format must be one of {', '.join(ex.FORMATS)}, got {fmt!r}")
    when = parse_date(at)
    folder = (out or Path.cwd()).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        levels = (check_level(level),) if level else ("province", "prefecture", "county")
        wanted = parent and check_code(parent, "parent")

        async def work(conn):
            index = await IndexCache().get(conn)
            return await ex.rows_at(conn, when, levels, wanted), index.data_version

        rows, version = run_on(ready_dsn(), work)
    except BoundariesError as exc:
        fail(str(exc))
    written = ex.write(rows, fmt, when, "-".join(map(str, version)))
    target = folder / written.path.name
    shutil.move(written.path, target)
    shutil.rmtree(written.path.parent, ignore_errors=True)
    typer.echo(f"{target}\t{len(rows)} divisions\tsha256 {written.sha256}")
