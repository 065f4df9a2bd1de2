"""``spatial-platform tiles seed|export``: pre-render tiles and write PMTiles archives."""

from pathlib import Path
from typing import Annotated

import typer

from spatial_platform.db import run_on

tiles = typer.Typer(help="Pre-render vector tiles and export them.", no_args_is_help=True)

Zooms = Annotated[str, typer.Option(help="Zoom range, e.g. 0-8.")]
At = Annotated[str | None, typer.Option(help="Date YYYY, YYYY-MM or YYYY-MM-DD (default today).")]


def _run(work) -> object:
    """Connect (starting the embedded database if needed) and run ``work(conn, service, when)``."""
    from boundaries.errors import BoundariesError
    from boundaries.service import LineageIndex
    from spatial_platform.cli import database_settings, ensure_ready, user_errors
    from tile_server.errors import TileError
    from tile_server.service import TileService

    with user_errors():
        dsn = ensure_ready(database_settings())

    try:
        return run_on(dsn, lambda conn: work(conn, TileService(), LineageIndex))
    except (TileError, BoundariesError, ValueError) as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


def _bar(label: str):
    """Return a progress callback printing every 5 percent to stderr."""
    step = {"last": -1}

    def progress(done: int, total: int) -> None:
        pct = done * 100 // max(total, 1)
        if pct // 5 != step["last"] // 5 or done == total:
            step["last"] = pct
            typer.echo(f"  {label}: {done}/{total} tiles ({pct}%)", err=True)

    return progress


def _zooms(parse, text: str) -> range:
    """Parse a zoom range or exit with a red message naming the option."""
    try:
        return parse(text)
    except ValueError as exc:
        typer.secho(f"--zooms: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


def _when(index_cls, conn, at):
    """Parse the date against the loaded data's coverage."""
    from datetime import date

    async def parse():
        index = await index_cls.load(conn)
        return index.coverage(date.today()).parse(at)

    return parse()


@tiles.command("seed")
def seed_command(layer: str, zooms: Zooms = "0-8", at: At = None) -> None:
    """Render every tile of LAYER over China at the zooms into the tile store."""
    from tile_server.seed import parse_zooms, seed

    span = _zooms(parse_zooms, zooms)

    async def work(conn, service, index_cls):
        when = await _when(index_cls, conn, at)
        service.layer(layer)
        return await seed(conn, service, layer, span, when, _bar(f"seed {layer}"))

    count, size = _run(work)
    typer.echo(f"seeded {count} tiles of {layer} (zooms {zooms}), {size / 1024:.0f} KiB")


@tiles.command("export")
def export_command(layer: str, out: Path, zooms: Zooms = "0-8", at: At = None) -> None:
    """Write LAYER's tiles over China to a PMTiles archive OUT for offline use."""
    from tile_server.seed import export_pmtiles, parse_zooms

    span = _zooms(parse_zooms, zooms)

    async def work(conn, service, index_cls):
        when = await _when(index_cls, conn, at)
        return await export_pmtiles(conn, service, layer, out, span, when, _bar(f"export {layer}"))

    written = _run(work)
    typer.echo(f"wrote {written} tiles of {layer} to {out}")
