"""Read and write CSV, GeoJSON, GeoPackage and Shapefile with pyogrio (blocking: run in a thread).

Reading is the shared reader stack's (``boundaries.read_features``); this module turns its
features into place-name rows and its errors into the register's.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import orjson
import pyogrio
import shapely

from boundaries import (
    MAX_EXPANDED_BYTES,
    MAX_ROWS,
    FileError,
    TooLarge,
    detect_format,
    neutralise,
    read_features,
    split_geometry,
)
from placenames.errors import InvalidPlacename, PayloadTooLarge

FORMATS = {"csv": ".csv", "geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip"}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
}
# Shapefile field names are at most 10 characters: these short names stand in for the long ones.
SHORT = {
    "division_code": "div_code",
    "parent_code": "parent",
    "former_names": "former",
    "division_path": "div_path",
    "pinyin": "pinyin",
}
# Also accept the names GDAL truncates long fields to when it writes a shapefile.
LONG = {short: long for long, short in SHORT.items()} | {long[:10]: long for long in SHORT if len(long) > 10}
ENDINGS = (".json", ".geojson", ".gpkg", ".csv", ".shp", ".zip")


def format_of(path: Path, given: str | None = None) -> str:
    """Return the format key from an explicit name or the file's extension."""
    key = (given or "").lower().lstrip(".") or detect_format(path, ENDINGS) or ""
    if key not in FORMATS:
        raise InvalidPlacename("format", f"format must be one of {', '.join(FORMATS)} (from {path.name!r})")
    return key


def _value(value):
    """Turn pandas' missing values and blank strings into None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value.strip() or None
    return value


def read_rows(
    path: Path,
    fmt: str,
    max_rows: int = MAX_ROWS,
    max_expanded_bytes: int = MAX_EXPANDED_BYTES,
    encoding: str | None = None,
) -> list[dict]:
    """Read every feature as a dict of fields plus a GeoJSON ``geometry`` (WGS 84).

    CSV is decoded (UTF-8 with or without BOM, or GB18030/GBK; or the ``encoding`` given) and
    checked line by line first; a zipped shapefile is checked against ``max_expanded_bytes``
    before anything is unpacked; a file with more than ``max_rows`` rows or features is refused
    before its rows are read.
    """
    try:
        frame = read_features(path, fmt, max_rows, max_expanded_bytes, encoding)
    except TooLarge as exc:
        raise PayloadTooLarge(f"the {fmt} file: {exc}") from None
    except FileError as exc:
        raise InvalidPlacename("file", f"cannot read the {fmt} file: {exc}", line=exc.line) from None
    records, shapes = split_geometry(frame)
    rows = []
    for record, shape in zip(records, shapes or [None] * len(records), strict=True):
        row = {LONG.get(k, k): _value(v) for k, v in record.items()}
        row["geometry"] = None if shape is None or shape.is_empty else shapely.geometry.mapping(shape)
        rows.append(row)
    return rows


def _json_text(value) -> str | None:
    return orjson.dumps(value).decode() if value else None


def flat_record(row: dict) -> dict:
    """Return an exported record's attributes as flat values (name lists as JSON, the path as text)."""
    nested = ("geometry", "former_names", "aliases", "division_path")
    return {
        **{k: v for k, v in row.items() if k not in nested},
        "former_names": _json_text(row["former_names"]),
        "aliases": _json_text(row["aliases"]),
        "division_path": " ".join(row["division_path"] or []),
    }


def write_rows(rows: list[dict], fmt: str, target: Path) -> Path:
    """Write records to ``target`` (a zip of the shapefile's parts for shp) and return the path.

    In CSV, a text cell starting with = + - @ (or tab, carriage return) gets a leading ``'``.
    """
    records = [flat_record(r) for r in rows]
    if fmt == "csv":  # a spreadsheet must not run a cell like =HYPERLINK(...) as a formula
        records = [{k: neutralise(v) for k, v in r.items()} for r in records]
    geometry = [shapely.geometry.shape(r["geometry"]) if r["geometry"] else None for r in rows]
    frame = gpd.GeoDataFrame(records, geometry=geometry, crs=4326)
    if not len(frame.columns) - 1:
        frame = gpd.GeoDataFrame({"id": []}, geometry=[], crs=4326)
    if fmt == "csv":
        pyogrio.write_dataframe(frame, target, driver="CSV", GEOMETRY="AS_WKT")
    elif fmt == "geojson":
        pyogrio.write_dataframe(frame, target, driver="GeoJSON")
    elif fmt == "gpkg":
        pyogrio.write_dataframe(frame, target, driver="GPKG", layer="placenames")
    else:
        _write_shapefile(frame.rename(columns=SHORT), target)
    return target


def _write_shapefile(frame: gpd.GeoDataFrame, target: Path) -> None:
    """Write a zipped shapefile; it holds one geometry type, so mixed types are refused."""
    kinds = {g.geom_type.removeprefix("Multi") for g in frame.geometry if g is not None}
    if len(kinds) > 1:
        raise InvalidPlacename(
            "format",
            f"a shapefile holds one geometry type, these records have {', '.join(sorted(kinds))}; "
            "filter by category or export GeoPackage",
        )
    folder = Path(tempfile.mkdtemp(prefix="placenames-shp-"))
    try:
        multi = any(g is not None and g.geom_type.startswith("Multi") for g in frame.geometry)
        pyogrio.write_dataframe(
            frame,
            folder / "placenames.shp",
            driver="ESRI Shapefile",
            promote_to_multi=multi,
            ENCODING="UTF-8",
        )
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(folder.iterdir()):
                archive.write(part, part.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
