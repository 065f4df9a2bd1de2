"""``spatial-platform geocode IN OUT`` (points) and ``geocode-address IN OUT`` (addresses) for files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from spatial_platform.cli.common import AtOption, EncodingOption, fail, progress_display, ready_dsn
from spatial_platform.db import run_on

_SHOWN_BAD_ROWS = 100


def _show_bad(bad: list, shown: int) -> int:
    """Print a chunk's unreadable rows while fewer than _SHOWN_BAD_ROWS were shown; return the count."""
    for row in bad[: max(_SHOWN_BAD_ROWS - shown, 0)]:
        typer.secho(f"  unreadable {row}", fg=typer.colors.YELLOW, err=True)
    return shown + len(bad)


def register(app: typer.Typer) -> None:
    """Attach ``geocode`` and ``geocode-address`` to the main CLI."""
    app.command("geocode")(geocode_command)
    app.command("geocode-address")(geocode_address_command)


def make_geocoder():
    """Return a reverse geocoder configured from the environment (SP_REVERSE_*)."""
    from boundaries import ReverseGeocoder
    from spatial_platform.settings import ReverseSettings

    settings = ReverseSettings()
    return ReverseGeocoder(settings.cells_per_degree, settings.max_vertices, settings.cache_size)


def _load_model(dsn: str, at: str | None):
    """Build the reverse-geocoding model for the date asked (or today)."""
    geocoder = make_geocoder()

    async def work(conn):
        await geocoder.refresh(conn)
        when = geocoder.coverage(date.today()).parse(at)
        return await geocoder.model_at(conn, when, refreshed=True), when

    return run_on(dsn, work)


def geocode_command(
    source: Annotated[
        Path, typer.Argument(help="Input .csv, .parquet or .gpkg", exists=True, dir_okay=False)
    ],
    target: Annotated[Path, typer.Argument(help="Output file of the same format (overwritten)")],
    at: AtOption = None,
    lon_col: Annotated[str, typer.Option(help="Column with longitudes.")] = "lon",
    lat_col: Annotated[str, typer.Option(help="Column with latitudes.")] = "lat",
    crs: Annotated[str, typer.Option(help="wgs84, cgcs2000, gcj02 or bd09.")] = "wgs84",
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a Dask scheduler to run on (e.g. tcp://host:8786).")
    ] = None,
    chunksize: Annotated[int, typer.Option(min=1, help="Rows per chunk (per Dask partition).")] = 200_000,
    encoding: EncodingOption = None,
) -> None:
    """Add province, prefecture and county (code, name) and geometry_kind columns to every row."""
    from boundaries import BoundariesError, geocode_file, geocode_on_cluster

    dsn = ready_dsn()
    shown = 0
    try:
        typer.echo("Preparing the boundaries …", err=True)
        model, when = _load_model(dsn, at)
        typer.echo(f"Geocoding {source} at {when} ({crs})", err=True)
        with progress_display("rows") as show:

            def progress(report, bad) -> None:
                nonlocal shown
                shown = _show_bad(bad, shown)
                counts = f"{report.found:,} found, {report.outside:,} outside, {report.bad:,} unreadable"
                show(f"geocoded ({counts})", report.rows, None)

            if scheduler:
                from distributed import Client

                with Client(scheduler) as client:
                    report = geocode_on_cluster(
                        client,
                        model,
                        source,
                        target,
                        lon_col,
                        lat_col,
                        crs,
                        chunksize,
                        progress,
                        encoding=encoding,
                    )
            else:
                report = geocode_file(
                    model, source, target, lon_col, lat_col, crs, chunksize, progress, encoding
                )
    except BoundariesError as exc:
        fail(str(exc))
    if report.bad > shown:
        typer.secho(f"  … {report.bad - shown:,} more unreadable rows", fg=typer.colors.YELLOW, err=True)
    typer.echo(
        f"Wrote {target}: {report.rows:,} rows, {report.found:,} found, {report.outside:,} outside every "
        f"division, {report.bad:,} unreadable"
        + (f" (rows {', '.join(str(b.row) for b in report.bad_rows[:20])}" if report.bad else "")
        + (" …)" if report.bad > 20 else ")" if report.bad else "")
    )


def geocode_address_command(
    source: Annotated[
        Path, typer.Argument(help="Input .csv, .parquet or .gpkg", exists=True, dir_okay=False)
    ],
    target: Annotated[Path, typer.Argument(help="Output file of the same format (overwritten)")],
    address_col: Annotated[str, typer.Option(help="Column with the addresses (地址).")] = "address",
    date_col: Annotated[
        str | None, typer.Option(help="Column with each address's date (default: --at for all).")
    ] = None,
    at: AtOption = None,
    chunksize: Annotated[int, typer.Option(min=1, help="Rows per batch.")] = 100_000,
    encoding: EncodingOption = None,
) -> None:
    """Add the province, prefecture, county, town and village (code, name) each address lay in on its date."""
    from boundaries import AddressGeocoder, BoundariesError, IndexCache, geocode_addresses_file
    from spatial_platform.settings import GeocodeSettings

    dsn = ready_dsn()
    geocoder = AddressGeocoder(IndexCache(), GeocodeSettings().village_towns)
    shown = 0

    async def work(conn):
        nonlocal shown
        typer.echo("Preparing the names of every division and town …", err=True)
        await geocoder.index(conn)
        typer.echo(f"Geocoding {source} ({address_col}" + (f" at {date_col})" if date_col else ")"), err=True)
        with progress_display("rows") as show:

            def progress(report, bad) -> None:
                nonlocal shown
                shown = _show_bad(bad, shown)
                show(f"geocoded ({report.counts['found']:,} found)", report.rows, None)

            return await geocode_addresses_file(
                geocoder, conn, source, target, address_col, date_col, at, chunksize, progress, encoding
            )

    try:
        report = run_on(dsn, work)
    except BoundariesError as exc:
        fail(str(exc))
    if report.bad > shown:
        typer.secho(f"  … {report.bad - shown:,} more unreadable rows", fg=typer.colors.YELLOW, err=True)
    c = report.counts
    typer.echo(
        f"Wrote {target}: {report.rows:,} rows, {c['found']:,} found, {c['ambiguous']:,} ambiguous, "
        f"{c['not_found']:,} with no division name, {report.bad:,} unreadable"
    )
