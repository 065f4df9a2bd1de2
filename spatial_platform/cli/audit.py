"""``spatial-platform audit FILE``: check another system's table of codes, names and dates (一致性校验)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from spatial_platform.cli.common import AtOption, EncodingOption, fail, ready_dsn
from spatial_platform.db import run_on


def register(app: typer.Typer) -> None:
    """Attach ``audit`` to the main CLI."""
    app.command("audit")(audit_command)


def audit_command(
    source: Annotated[
        Path, typer.Argument(help="CSV with code, name and date columns", exists=True, dir_okay=False)
    ],
    code_col: Annotated[str, typer.Option(help="Column with division codes.")] = "code",
    name_col: Annotated[str, typer.Option(help="Column with names (optional).")] = "name",
    date_col: Annotated[str, typer.Option(help="Column with dates (optional; default --at).")] = "date",
    at: AtOption = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the CSV answer here (default: standard output).")
    ] = None,
    encoding: EncodingOption = None,
) -> None:
    """Classify every row: valid, name_mismatch, not_in_use, never_existed or malformed; print the counts."""
    from boundaries import (
        BoundariesError,
        LineageIndex,
        audit_table,
        fetch_local_codes,
        read_audit_file,
        write_audit_csv,
    )

    dsn = ready_dsn()
    try:
        rows = read_audit_file(source, code_col, name_col, date_col, encoding)

        async def work(conn):
            return await LineageIndex.load(conn), await fetch_local_codes(conn, rows)

        index, local = run_on(dsn, work)
        today = date.today()
        when = index.coverage(today).parse(at, "at")
        typer.echo(f"Auditing {len(rows):,} rows of {source} (rows without a date at {when})", err=True)
        result = audit_table(index, rows, when, today, local)
    except BoundariesError as exc:
        fail(str(exc))
    write_audit_csv(result, out)
    if out is not None:
        typer.echo(f"Wrote {out}", err=True)
    counts = {k: v for k, v in result.summary().items() if k not in ("rows", "at")}
    typer.echo(", ".join(f"{s} {n:,}" for s, n in counts.items()) + f" ({len(rows):,} rows)", err=True)
