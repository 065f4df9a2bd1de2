"""Facility imports: validate every row, derive division codes by reverse geocoding, write all or nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import asyncpg
import numpy as np

from boundaries import ReverseGeocoder
from spatial_platform.facilities import queries
from spatial_platform.facilities.errors import ImportRejected, InvalidParameter, MissingData
from spatial_platform.facilities.models import ImportReport
from spatial_platform.facilities.readers import Table, read_table
from spatial_platform.facilities.validation import validate_facilities

Locator = Callable[[asyncpg.Connection, np.ndarray, np.ndarray, date], Awaitable[dict[str, np.ndarray]]]
"""Reverse-geocodes WGS-84 points on a date: province_code, prefecture_code, county_code columns."""


def geocoder_locator(geocoder: ReverseGeocoder) -> Locator:
    """Return a locator backed by the reverse-geocoding service (every division in the country)."""

    async def locate(conn: asyncpg.Connection, lon: np.ndarray, lat: np.ndarray, when: date) -> dict:
        model = await geocoder.model_at(conn, when)
        if not model.layers:
            raise MissingData(
                f"no division boundaries are loaded for {when}; run `spatial-platform ingest boundaries`"
            )
        found = await asyncio.to_thread(model.locate, lon, lat)
        return model.columns(found)

    return locate


async def import_facilities(
    conn: asyncpg.Connection,
    table: Table,
    *,
    locate: Locator,
    source: str,
    crs: str = "wgs84",
    dry_run: bool = False,
    synthetic: bool = False,
    today: date | None = None,
) -> ImportReport:
    """Import facility rows; any invalid row rejects the whole file and nothing changes."""
    today = today or date.today()
    try:
        records, errors = validate_facilities(table, crs)
    except ValueError as exc:
        raise InvalidParameter("crs", str(exc)) from None
    if not table.rows:
        errors.append({"row": 0, "field": "file", "reason": "the file has no rows"})
    if records:
        lon = np.array([r["lon"] for r in records], dtype=float)
        columns = await locate(conn, lon, np.array([r["lat"] for r in records], dtype=float), today)
        for i, record in enumerate(records):
            for slot in ("province", "prefecture", "county"):
                record[f"{slot}_code"] = columns[f"{slot}_code"][i]
            record["divisions_at"] = today
            if record["province_code"] is None:
                errors.append(
                    {
                        "row": record["row"],
                        "field": "location",
                        "reason": f"({record['lon']:.6f}, {record['lat']:.6f}) lies outside every division "
                        f"boundary in force on {today}",
                    }
                )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e["row"], e["field"])), len(table.rows))
    return await _write(conn, records, source, synthetic, dry_run, len(table.rows))


async def _write(
    conn, records: list[dict], source: str, synthetic: bool, dry_run: bool, rows: int
) -> ImportReport:
    """Write in one transaction; a dry run writes, counts and rolls back."""
    tx = conn.transaction()
    await tx.start()
    try:
        created, updated = await queries.upsert(conn, records, source, synthetic)
    except BaseException:
        await tx.rollback()
        raise
    if dry_run:
        await tx.rollback()
    else:
        await tx.commit()
    return ImportReport(rows=rows, created=created, updated=updated, dry_run=dry_run)


async def import_facility_file(
    conn: asyncpg.Connection, path: Path, encoding: str | None = None, **options
) -> ImportReport:
    """Read a CSV, GeoJSON or GeoPackage file (off the event loop) and import it.

    ``encoding`` forces a CSV's encoding (utf-8, gb18030 or gbk); None detects it.
    """
    table = await asyncio.to_thread(read_table, path, encoding=encoding)
    options.setdefault("source", path.name)
    return await import_facilities(conn, table, **options)
