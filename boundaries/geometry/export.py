"""Bulk export: every division in force at a date with its boundary and provenance, as one file.

The file is named by the date and the data version (``divisions-2020-12-31-v12.gpkg``) and comes
with its SHA-256; divisions without a known boundary are kept, with an empty geometry and
provenance ``none``.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import asyncpg
import geopandas as gpd
import shapely

from boundaries.io.writers import FORMATS, Written, write_frame
from boundaries.sources import ATTRIBUTION

COLUMNS = ("code", "name", "level", "parent", "valid_from", "valid_to", "provenance", "source", "method")


async def rows_at(
    conn: asyncpg.Connection, at: date, levels: tuple[str, ...], parent: str | None
) -> list[asyncpg.Record]:
    """Return every division of ``levels`` in force at ``at`` (under ``parent``) with its boundary then."""
    args: list = [at, list(levels)]
    where = "v.valid @> $1::date AND v.level = ANY($2::text[])"
    if parent:
        args.append(parent)
        where += " AND v.parent_code = $3"
    return await conn.fetch(
        f"""
        SELECT v.code, v.name, v.level, v.parent_code AS parent, v.valid_from, v.valid_to,
               coalesce(g.kind, 'none') AS provenance, g.source, g.method, ST_AsBinary(g.geom) AS geom
        FROM division_versions v
        LEFT JOIN division_geometries g ON g.version_id = v.id AND g.valid @> $1::date
        WHERE {where} ORDER BY v.code
        """,
        *args,
    )


def frame(rows: list[asyncpg.Record]) -> gpd.GeoDataFrame:
    """The rows as a GeoDataFrame in EPSG:4326 (dates as ISO text, for every format alike)."""
    data = {c: [r[c] for r in rows] for c in COLUMNS}
    for c in ("valid_from", "valid_to"):
        data[c] = [None if d is None else d.isoformat() for d in data[c]]
    geoms = shapely.from_wkb([r["geom"] for r in rows])
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")


def write(
    rows: list[asyncpg.Record], fmt: str, at: date, data_version, folder: Path | None = None
) -> Written:
    """Write the export file (into ``folder``, else a new temporary folder the caller removes)."""
    stem = f"divisions-{at.isoformat()}-v{data_version}"
    folder = folder or Path(tempfile.mkdtemp(prefix="sp-export-"))
    return write_frame(frame(rows), fmt, folder, stem, "divisions", ATTRIBUTION)


__all__ = ["ATTRIBUTION", "FORMATS", "rows_at", "write"]
