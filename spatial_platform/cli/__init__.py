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
for _module in (db, ingest, boundaries, export, changes, geocode, audit, placenames, tiles, planning, server):
    _module.register(app)

__all__ = ["app"]
