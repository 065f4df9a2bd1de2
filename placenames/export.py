"""Export of published records page by page: bounded memory whatever the register's size.

CSV and GeoJSON stream to the client as pages of ``PAGE`` records are read (each page on a
connection taken and given back, keyed by id); GeoPackage and Shapefile are appended to a
temporary file page by page, then sent. CSV cells a spreadsheet would run as formulas get a
leading ``'`` (see ``boundaries.io.text.neutralise``).
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import geopandas as gpd
import orjson
import pyogrio
import shapely

from boundaries import neutralise
from placenames import bulk
from placenames.errors import InvalidPlacename
from placenames.files import FORMATS, SHORT, flat_record

PAGE = 2_000
COLUMNS = (
    "id", "version", "name", "pinyin", "category", "division_code", "parent_code", "code", "level",
    "meaning", "origin", "former_names", "aliases", "division_path",
)  # fmt: skip


async def pages(
    pool, division: str | None, category: str | None, page: int | None = None
) -> AsyncIterator[list[dict]]:
    """Yield the published records in pages ordered by id."""
    after, page = 0, page or PAGE
    while True:
        async with pool.acquire() as conn:
            rows = await bulk.published_rows(conn, division, category, after=after, limit=page)
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


def _wkt(geometry: dict | None) -> str:
    return shapely.to_wkt(shapely.geometry.shape(geometry), rounding_precision=-1) if geometry else ""


def _csv_page(rows: list[dict], header: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    flat = [flat_record(r) for r in rows]
    if header:
        writer.writerow(["WKT", *flat[0]])
    for row, record in zip(rows, flat, strict=True):
        cells = [_wkt(row["geometry"]), *record.values()]
        writer.writerow(["" if v is None else neutralise(v) for v in cells])
    return out.getvalue().encode()


def _geojson_page(rows: list[dict], first: bool) -> bytes:
    features = b",".join(
        orjson.dumps({"type": "Feature", "properties": flat_record(r), "geometry": r["geometry"]})
        for r in rows
    )
    return (b"" if first else b",") + features


async def stream(pool, fmt: str, division: str | None, category: str | None) -> AsyncIterator[bytes]:
    """Yield a CSV or GeoJSON export in pieces."""
    first = True
    if fmt == "geojson":
        yield b'{"type":"FeatureCollection","features":['
    async for rows in pages(pool, division, category):
        render = _geojson_page if fmt == "geojson" else _csv_page
        yield await asyncio.to_thread(render, rows, first)
        first = False
    if fmt == "geojson":
        yield b"]}"
    elif first:  # no record: still a header
        yield ",".join(("WKT", *COLUMNS)).encode() + b"\n"


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    geometry = [shapely.geometry.shape(r["geometry"]) if r["geometry"] else None for r in rows]
    return gpd.GeoDataFrame([flat_record(r) for r in rows], geometry=geometry, crs=4326)


async def to_file(pool, fmt: str, division: str | None, category: str | None) -> Path:
    """Write a GeoPackage or zipped Shapefile export to a temporary file and return its path."""
    handle, name = tempfile.mkstemp(suffix=FORMATS[fmt], prefix="placenames-")
    os.close(handle)
    target = Path(name)
    folder = Path(tempfile.mkdtemp(prefix="placenames-export-"))
    try:
        layer = folder / ("placenames.shp" if fmt == "shp" else "placenames.gpkg")
        kinds: set[str] = set()
        multi = fmt == "shp" and await _has_multi(pool, division, category)
        written = False
        async for rows in pages(pool, division, category):
            frame = _frame(rows)
            if fmt == "shp":
                kinds |= {g.geom_type.removeprefix("Multi") for g in frame.geometry if g is not None}
                _one_kind(kinds)
                frame = frame.rename(columns=SHORT)
            await asyncio.to_thread(_append, frame, layer, fmt, written, multi)
            written = True
        if not written:
            empty = gpd.GeoDataFrame({"id": []}, geometry=[], crs=4326)
            await asyncio.to_thread(_append, empty, layer, fmt, False, False)
        if fmt == "shp":
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                for part in sorted(folder.iterdir()):
                    archive.write(part, part.name)
        else:
            shutil.move(layer, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return target


def _one_kind(kinds: set[str]) -> None:
    if len(kinds) > 1:
        raise InvalidPlacename(
            "format",
            f"a shapefile holds one geometry type, these records have {', '.join(sorted(kinds))}; "
            "filter by category or export GeoPackage",
        )


async def _has_multi(pool, division: str | None, category: str | None) -> bool:
    async with pool.acquire() as conn:
        return await bulk.published_has_multi(conn, division, category)


def _append(frame: gpd.GeoDataFrame, layer: Path, fmt: str, append: bool, multi: bool) -> None:
    if fmt == "shp":
        options = {"driver": "ESRI Shapefile", "promote_to_multi": multi, "ENCODING": "UTF-8"}
    else:
        options = {"driver": "GPKG", "layer": "placenames"}
    pyogrio.write_dataframe(frame, layer, append=append, **options)
