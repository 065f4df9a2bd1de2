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

from boundaries import TextFileError, TooManyRows, decode, neutralise, parse_csv
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
MAX_ROWS = 1_000_000
"""Rows (features) an import may hold unless the caller sets another limit."""
MAX_EXPANDED_BYTES = 1 << 30
"""Bytes a zipped shapefile may expand to unless the caller sets another limit."""
MAX_MEMBERS = 1000
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


def read_rows(
    path: Path, fmt: str, max_rows: int = MAX_ROWS, max_expanded_bytes: int = MAX_EXPANDED_BYTES
) -> list[dict]:
    """Read every feature as a dict of fields plus a GeoJSON ``geometry`` (WGS 84).

    CSV is decoded (UTF-8 with or without BOM, or GB18030/GBK) and checked line by line first; a
    zipped shapefile is checked against ``max_expanded_bytes`` before anything is unpacked; a file
    with more than ``max_rows`` rows or features is refused before its rows are read.
    """
    with tempfile.TemporaryDirectory(prefix="placenames-read-") as folder:
        if fmt == "csv":
            source = _checked_csv(path, Path(folder), max_rows)
        elif fmt == "shp" and path.suffix.lower() == ".zip":
            source = _unpack_shapefile(path, Path(folder), max_expanded_bytes)
        else:
            source = path
        return _read_features(source, fmt, max_rows)


def _checked_csv(path: Path, folder: Path, max_rows: int) -> Path:
    """Decode and check a CSV; return a UTF-8 copy for GDAL (which finds its geometry columns)."""
    try:
        text = decode(path.read_bytes())
        parse_csv(text, max_rows)
    except TooManyRows as exc:
        raise PayloadTooLarge(f"the CSV file: {exc}") from None
    except TextFileError as exc:
        raise InvalidPlacename("file", f"cannot read the csv file: {exc}", line=exc.line) from None
    target = folder / "checked.csv"
    target.write_text(text.removeprefix("\ufeff"), encoding="utf-8", newline="")
    return target


def _unpack_shapefile(path: Path, folder: Path, max_expanded_bytes: int) -> Path:
    """Unpack a zipped shapefile into ``folder`` after checking what its members expand to."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and "__MACOSX" not in m.filename]
            if len(members) > MAX_MEMBERS:
                raise PayloadTooLarge(f"the archive has {len(members)} files; at most {MAX_MEMBERS}")
            expanded = sum(m.file_size for m in members)
            if expanded > max_expanded_bytes:
                raise PayloadTooLarge(
                    f"the archive expands to {expanded} bytes; at most {max_expanded_bytes} "
                    "(the limit on unpacked uploads)"
                )
            for member in members:
                name = Path(member.filename).name
                if name:  # zipfile stops at the declared size and checks the CRC, so this is bounded
                    with archive.open(member) as part, open(folder / name, "wb") as out:
                        shutil.copyfileobj(part, out)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
        message = f"cannot read the shp file: not a readable zip archive: {exc}"
        raise InvalidPlacename("file", message) from None
    shapes = sorted(folder.glob("*.[sS][hH][pP]"))
    if not shapes:
        raise InvalidPlacename("file", "cannot read the shp file: the archive holds no .shp file")
    return shapes[0]


def _read_features(source: Path, fmt: str, max_rows: int) -> list[dict]:
    """Read a dataset GDAL can open, refusing it before reading if it has too many features."""
    options = _CSV_OPTIONS if fmt == "csv" else {}
    try:
        features = pyogrio.read_info(source, **options).get("features", -1)
        if features is not None and features > max_rows:
            raise PayloadTooLarge(f"the {fmt} file has {features} features; at most {max_rows}")
        frame = pyogrio.read_dataframe(source, max_features=max_rows + 1, **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidPlacename("file", f"cannot read the {fmt} file: {exc}") from None
    if len(frame) > max_rows:
        raise PayloadTooLarge(f"the {fmt} file has more than {max_rows} features; at most {max_rows}")
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
