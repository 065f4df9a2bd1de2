"""``spatial-platform tiles seed|export``: pre-render tiles and write PMTiles archives."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from spatial_platform.cli.common import AtOption, ProgressCallback, fail, progress_display, ready_dsn
from spatial_platform.db import run_on

tiles = typer.Typer(help="Pre-render vector tiles and export them.", no_args_is_help=True)

Zooms = Annotated[str, typer.Option(help="Zoom range, e.g. 0-8.")]


def register(app: typer.Typer) -> None:
    """Attach ``tiles`` to the main CLI."""
    app.add_typer(tiles, name="tiles")


def _run(work) -> object:
    """Connect (starting the embedded database if needed) and run ``work(conn, service, when)``."""
    from boundaries import BoundariesError, LineageIndex
    from tile_server.errors import TileError
    from tile_server.service import TileService

    dsn = ready_dsn()
    try:
        return run_on(dsn, lambda conn: work(conn, TileService(), LineageIndex))
    except (TileError, BoundariesError, ValueError) as exc:
        fail(str(exc))


def _stage(label: str, progress: ProgressCallback) -> Callable[[int, int], None]:
    """Adapt the tile store's ``progress(done, total)`` to the CLI's progress display."""
    return lambda done, total: progress(label, done, total)


def _zooms(parse, text: str) -> range:
    """Parse a zoom range or exit with a red message naming the option."""
    try:
        return parse(text)
    except ValueError as exc:
        fail(f"--zooms: {exc}")


def _when(index_cls, conn, at):
    """Parse the date against the loaded data's coverage."""
    from datetime import date

    async def parse():
        index = await index_cls.load(conn)
        return index.coverage(date.today()).parse(at)

    return parse()


@tiles.command("seed")
def seed_command(layer: str, zooms: Zooms = "0-8", at: AtOption = None) -> None:
    """Render every tile of LAYER over China at the zooms into the tile store."""
    from tile_server.seed import parse_zooms, seed

    span = _zooms(parse_zooms, zooms)

    async def work(conn, service, index_cls):
        when = await _when(index_cls, conn, at)
        service.layer(layer)
        with progress_display("tiles") as progress:
            return await seed(conn, service, layer, span, when, _stage(f"seed {layer}", progress))

    count, size = _run(work)
    typer.echo(f"seeded {count} tiles of {layer} (zooms {zooms}), {size / 1024:.0f} KiB")


@tiles.command("export")
def export_command(layer: str, out: Path, zooms: Zooms = "0-8", at: AtOption = None) -> None:
    """Write LAYER's tiles over China to a PMTiles archive OUT for offline use."""
    from tile_server.seed import export_pmtiles, parse_zooms

    span = _zooms(parse_zooms, zooms)

    async def work(conn, service, index_cls):
        when = await _when(index_cls, conn, at)
        with progress_display("tiles") as progress:
            stage = _stage(f"export {layer}", progress)
            return await export_pmtiles(conn, service, layer, out, span, when, stage)

    written = _run(work)
    typer.echo(f"wrote {written} tiles of {layer} to {out}")
