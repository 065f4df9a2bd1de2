"""CLI for facilities, populations, the synthetic demo and planning maps."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from spatial_platform.cli.common import AtOption, EncodingOption, fail, progress_display, ready_dsn
from spatial_platform.db import run_on
from spatial_platform.planning.synthetic import DEFAULT_SEED

facilities = typer.Typer(
    help="Civil-affairs facilities (elderly care, child welfare, relief).", no_args_is_help=True
)
populations = typer.Typer(help="Service populations by division, year and age band.", no_args_is_help=True)
demo = typer.Typer(
    help="Clearly labelled synthetic data for trying the planning tools.", no_args_is_help=True
)
planning = typer.Typer(help="Care-facility planning measures and maps.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach the facilities, populations, demo and planning sub-commands to the main CLI."""
    app.add_typer(facilities, name="facilities")
    app.add_typer(populations, name="populations")
    app.add_typer(demo, name="demo")
    app.add_typer(planning, name="planning")


def _run(work):
    """Prepare the database, run ``work(conn)`` on one connection and turn domain errors into exit 1."""
    from boundaries import BoundariesError
    from spatial_platform.facilities.errors import CivilAffairsError, ImportRejected

    dsn = ready_dsn()
    try:
        return run_on(dsn, work)
    except ImportRejected as exc:
        for error in exc.errors:
            typer.secho(
                f"  row {error['row']}, {error['field']}: {error['reason']}", fg=typer.colors.RED, err=True
            )
        fail(str(exc))
    except (CivilAffairsError, BoundariesError) as exc:
        field = getattr(exc, "field", None)
        fail(f"{field}: {exc}" if field else str(exc))


def _report(kind: str, report) -> None:
    """Print what an import did."""
    verb = "would import" if report.dry_run else "imported"
    typer.echo(f"{kind}: {verb} {report.rows} rows ({report.created} new, {report.updated} updated)")


@facilities.command("import")
def import_facilities_command(
    file: Annotated[Path, typer.Argument(help="CSV (name, kind, lon, lat, beds …), GeoJSON or GeoPackage")],
    source: Annotated[
        str | None, typer.Option(help="Source label stored with each row (default: file name).")
    ] = None,
    crs: Annotated[
        str, typer.Option(help="Coordinates of the file: wgs84, cgcs2000, gcj02 or bd09.")
    ] = "wgs84",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count, write nothing.")] = False,
    encoding: EncodingOption = None,
) -> None:
    """Import facilities; division codes are derived by reverse geocoding; any bad row imports nothing."""
    from boundaries import ReverseGeocoder
    from spatial_platform.facilities.service import geocoder_locator, import_facility_file

    locate = geocoder_locator(ReverseGeocoder())
    with progress_display() as progress:
        progress(f"Checking {file} and reverse-geocoding its facilities …", 0, None)
        report = _run(
            lambda conn: import_facility_file(
                conn,
                file,
                encoding,
                locate=locate,
                source=source or file.name,
                crs=crs,
                dry_run=dry_run,
            )
        )
    _report("facilities", report)


@populations.command("import")
def import_populations_command(
    file: Annotated[
        Path, typer.Argument(help="CSV (division_code, year, band, count — or total, 60+, 65+, 80+)")
    ],
    source: Annotated[
        str | None, typer.Option(help="Source label stored with each row (default: file name).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count, write nothing.")] = False,
    encoding: EncodingOption = None,
) -> None:
    """Import population counts (or grid cells from a spatial file without division codes); all or nothing."""
    from spatial_platform.populations.service import import_population_file

    report = _run(
        lambda conn: import_population_file(conn, file, encoding, source=source or file.name, dry_run=dry_run)
    )
    _report("populations", report)


SYNTHESIZE_HELP = (
    "Write a clearly labelled SYNTHETIC set for a real division (every row: source 'synthetic', "
    "synthetic = true; facility names end in (合成)). Populations per division: area × log-normal "
    "density (median 2,000/km² in districts, 250 elsewhere), 60+ share N(0.187, 0.02); grid cells "
    "weighted 0.3 even + 0.7 Gaussian settlements; facilities Poisson by 60+ count (institutions "
    "1/7,000, community stations 1/3,000, rural homes 1/30,000) placed inside the real boundaries, beds "
    "from documented distributions. Same seed, same set; the set replaces earlier synthetic data there. "
    "Full method: README and spatial_platform/planning/synthetic.py."
)


@demo.command("synthesize", help=SYNTHESIZE_HELP)
def synthesize_command(
    division: Annotated[str, typer.Option(help="A real province, prefecture or county code, e.g. 430100.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same set.")] = DEFAULT_SEED,
    year: Annotated[int | None, typer.Option(help="Population year (default: last year).")] = None,
) -> None:
    """Write the labelled synthetic planning set for one division."""
    from spatial_platform.planning.demo import load_demo

    with progress_display() as progress:
        progress(f"Synthesizing a labelled demo set for {division} (seed {seed}) …", 0, None)
        out = _run(lambda conn: load_demo(conn, division, seed=seed, year=year or date.today().year - 1))
    typer.echo(
        f"synthetic set for {out['division']} {out['name']} ({out['year']}, seed {out['seed']}): "
        f"{out['divisions']} divisions, {out['populations']} population figures, {out['cells']} grid cells, "
        f"{out['facilities']} facilities (source '{out['source']}')"
    )


@planning.command("map")
def map_command(
    division: Annotated[str, typer.Option(help="Province, prefecture or county code.")],
    at: AtOption = None,
    radius: Annotated[float, typer.Option(help="Service radius in metres.")] = 1000.0,
    suggest: Annotated[int, typer.Option(help="Suggest this many new sites (MCLP); 0 for none.")] = 5,
    out: Annotated[Path | None, typer.Option(help="HTML file to write (default planning-CODE.html).")] = None,
) -> None:
    """Write a folium HTML map: older-population choropleth, facilities by beds, radii, gaps, suggestions."""
    from spatial_platform.planning.measures import planning_map

    target = out or Path(f"planning-{division}.html")
    page = _run(lambda conn: planning_map(conn, division, at, radius=radius, suggest=suggest))
    target.write_text(page, encoding="utf-8")
    typer.echo(f"map written to {target}")
