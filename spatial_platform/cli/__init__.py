"""Command-line interface ``spatial-platform``: ``app`` assembled from one module per command group.

Every command module defines ``register(app)`` and imports only ``spatial_platform.cli.common``
and domain code, never this package.
"""

import typer

from spatial_platform.cli import (
    audit,
    boundaries,
    changes,
    db,
    export,
    geocode,
    ingest,
    placenames,
    planning,
    server,
    tiles,
)

app = typer.Typer(
    help="China administrative-division platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from spatial_platform.about import software_version

        typer.echo(f"spatial-platform {software_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """China administrative-division platform."""


for _module in (db, ingest, boundaries, export, changes, geocode, audit, placenames, tiles, planning, server):
    _module.register(app)

__all__ = ["app"]
