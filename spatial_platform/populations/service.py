"""Population imports: validate every row, attach each count to the division version of its year."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import asyncpg

from boundaries import china_division
from spatial_platform.facilities.models import ImportReport
from spatial_platform.facilities.readers import Table, read_table
from spatial_platform.populations import queries
from spatial_platform.populations.errors import ImportRejected
from spatial_platform.populations.validation import validate_cells, validate_populations


def year_date(year: int, today: date, code: str = "") -> date:
    """Return the date a year's figure describes: 31 December, or today for the current year.

    A town or village figure of a year with a statistical vintage describes that vintage's
    cut-off, so it attaches to the town as that year's vintage lists it (a 2018 figure of a
    town merged away in the 2019 vintage still finds it).
    """
    if len(code) in (9, 12):
        for vintage in china_division.VINTAGES:
            if vintage.year == year:
                return vintage.cut_off
    return today if year == today.year else date(year, 12, 31)


async def import_populations(
    conn: asyncpg.Connection,
    table: Table,
    *,
    source: str,
    dry_run: bool = False,
    synthetic: bool = False,
    today: date | None = None,
) -> ImportReport:
    """Import division counts (or grid cells, for a spatial file without division codes); all or nothing."""
    today = today or date.today()
    grid = table.geometries is not None and not any(
        r.get("division_code") or r.get("code") for r in table.rows
    )
    validate = validate_cells if grid else validate_populations
    records, errors = validate(table, today)
    if not table.rows:
        errors.append({"row": 0, "field": "file", "reason": "the file has no rows"})
    if records and not grid:
        ids = await queries.versions_for(
            conn, [r["code"] for r in records], [year_date(r["year"], today, r["code"]) for r in records]
        )
        for record, version_id in zip(records, ids, strict=True):
            record["version_id"] = version_id
            if version_id is None:
                when = year_date(record["year"], today, record["code"])
                errors.append(
                    {
                        "row": record["row"],
                        "field": "division_code",
                        "reason": f"division {record['code']} was not in use on {when} "
                        f"(the date a {record['year']} figure describes)",
                    }
                )
    if errors:
        unique = {(e["row"], e["field"], e["reason"]): e for e in errors}
        raise ImportRejected(sorted(unique.values(), key=lambda e: (e["row"], e["field"])), len(table.rows))
    tx = conn.transaction()
    await tx.start()
    try:
        if grid:
            created, updated = await queries.insert_cells(conn, records, source, synthetic), 0
        else:
            created, updated = await queries.upsert(conn, records, source, synthetic)
    except BaseException:
        await tx.rollback()
        raise
    await (tx.rollback() if dry_run else tx.commit())
    return ImportReport(rows=len(table.rows), created=created, updated=updated, dry_run=dry_run)


async def import_population_file(
    conn: asyncpg.Connection, path: Path, encoding: str | None = None, **options
) -> ImportReport:
    """Read a CSV, GeoJSON or GeoPackage file (off the event loop) and import it.

    ``encoding`` forces a CSV's encoding (utf-8, gb18030 or gbk); None detects it.
    """
    table = await asyncio.to_thread(read_table, path, encoding=encoding)
    options.setdefault("source", path.name)
    return await import_populations(conn, table, **options)
