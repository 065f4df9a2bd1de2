"""Read and write CSV, GeoJSON, GeoPackage and Shapefile with pyogrio (blocking: run in a thread)."""

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

from placenames.errors import InvalidPlacename

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
_CSV_OPTIONS = {
    "X_POSSIBLE_NAMES": "longitude,lon,lng,x",
    "Y_POSSIBLE_NAMES": "latitude,lat,y",
    "GEOM_POSSIBLE_NAMES": "geometry,wkt,geom",
    "KEEP_GEOM_COLUMNS": "NO",
}


def format_of(path: Path, given: str | None = None) -> str:
    """Return the format key from an explicit name or the file's extension."""
    key = (given or "").lower().lstrip(".")
    if not key:
        suffix = path.suffix.lower()
        key = {".json": "geojson", ".geojson": "geojson", ".gpkg": "gpkg", ".csv": "csv"}.get(suffix, "")
        key = key or ("shp" if suffix in (".shp", ".zip") else "")
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


def read_rows(path: Path, fmt: str) -> list[dict]:
    """Read every feature as a dict of fields plus a GeoJSON ``geometry`` (WGS 84)."""
    source = f"/vsizip/{path}" if fmt == "shp" and path.suffix.lower() == ".zip" else str(path)
    try:
        frame = pyogrio.read_dataframe(source, **(_CSV_OPTIONS if fmt == "csv" else {}))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidPlacename("file", f"cannot read the {fmt} file: {exc}") from None
    geometries = [None] * len(frame)
    if isinstance(frame, gpd.GeoDataFrame):
        if frame.crs is not None and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
        geometries = [
            None if g is None or g.is_empty else shapely.geometry.mapping(g) for g in frame.geometry
        ]
        frame = frame.drop(columns=frame.geometry.name)
    rows = []
    for record, geometry in zip(frame.to_dict("records"), geometries, strict=True):
        row = {LONG.get(k, k): _value(v) for k, v in record.items()}
        row["geometry"] = geometry
        rows.append(row)
    return rows


def _json_text(value) -> str | None:
    return orjson.dumps(value).decode() if value else None


def write_rows(rows: list[dict], fmt: str, target: Path) -> Path:
    """Write records to ``target`` (a zip of the shapefile's parts for shp) and return the path."""
    records = [
        {
            **{
                k: v
                for k, v in r.items()
                if k not in ("geometry", "former_names", "aliases", "division_path")
            },
            "former_names": _json_text(r["former_names"]),
            "aliases": _json_text(r["aliases"]),
            "division_path": " ".join(r["division_path"] or []),
        }
        for r in rows
    ]
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
