"""Whole tables from CSV, GeoJSON, GeoPackage and zipped Shapefile, within the common limits (blocking).

A CSV is checked first (encoding, then line by line: see ``text.py``); a zipped shapefile is
checked against the expanded-size and member limits before anything is unpacked; a file with
more than ``max_rows`` rows or features is refused before its rows are read. ``encoding`` (None
detects) applies to CSV text and to a shapefile's attributes; GeoJSON and GeoPackage are UTF-8.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from boundaries.io.common import FileError, TooLarge
from boundaries.io.text import CsvTable, check_csv_file, read_csv_bytes

MAX_ROWS = 1_000_000
"""Rows (features) a file may hold unless the caller sets another limit."""
MAX_EXPANDED_BYTES = 1 << 30
"""Bytes a zipped shapefile may expand to unless the caller sets another limit."""
MAX_MEMBERS = 1000
"""Files a zipped shapefile may hold."""
CSV_GEOMETRY = {
    "X_POSSIBLE_NAMES": "longitude,lon,lng,x",
    "Y_POSSIBLE_NAMES": "latitude,lat,y",
    "GEOM_POSSIBLE_NAMES": "geometry,wkt,geom",
    "KEEP_GEOM_COLUMNS": "NO",
}
"""How GDAL finds a CSV's geometry: longitude/latitude columns or a WKT column."""


def read_csv_file(path: Path, max_rows: int = MAX_ROWS, encoding: str | None = None) -> CsvTable:
    """Decode and check a CSV; return its header and text cells, each row with its line."""
    return read_csv_bytes(Path(path).read_bytes(), max_rows, encoding)


def read_features(
    path: Path,
    fmt: str,
    max_rows: int = MAX_ROWS,
    max_expanded_bytes: int = MAX_EXPANDED_BYTES,
    encoding: str | None = None,
):
    """Read every feature of a csv, geojson, gpkg or shp (.shp or zipped) file, in WGS 84.

    Returns a GeoDataFrame, or a DataFrame when the file has no geometry (a CSV without
    coordinate columns). A CSV's geometry comes from the columns ``CSV_GEOMETRY`` names.
    """
    with tempfile.TemporaryDirectory(prefix="boundaries-read-") as folder:
        if fmt == "csv":
            source = _utf8_copy(Path(path), Path(folder), max_rows, encoding)
        elif fmt == "shp" and Path(path).suffix.lower() == ".zip":
            source = unpack_shapefile(Path(path), Path(folder), max_expanded_bytes)
        else:
            source = Path(path)
        return _read_gdal(source, fmt, max_rows, encoding if fmt == "shp" else None)


def _utf8_copy(path: Path, folder: Path, max_rows: int, encoding: str | None) -> Path:
    """Check a CSV in one streaming pass; return a UTF-8 copy (no BOM) for GDAL to read."""
    codec, _, _ = check_csv_file(path, max_rows, encoding)
    target = folder / "checked.csv"
    with (
        path.open(encoding=codec, newline="") as source,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        first = True
        while block := source.read(1 << 20):
            out.write(block.removeprefix("\ufeff") if first else block)
            first = False
    return target


def unpack_shapefile(
    path: Path, folder: Path, max_expanded_bytes: int = MAX_EXPANDED_BYTES, max_members: int = MAX_MEMBERS
) -> Path:
    """Unpack a zipped shapefile into ``folder`` after checking what its members expand to."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and "__MACOSX" not in m.filename]
            if len(members) > max_members:
                raise TooLarge(f"the archive has {len(members)} files; at most {max_members}")
            expanded = sum(m.file_size for m in members)
            if expanded > max_expanded_bytes:
                raise TooLarge(
                    f"the archive expands to {expanded} bytes; at most {max_expanded_bytes} "
                    "(the limit on unpacked uploads)"
                )
            for member in members:
                name = Path(member.filename).name
                if name:  # zipfile stops at the declared size and checks the CRC, so this is bounded
                    with archive.open(member) as part, open(folder / name, "wb") as out:
                        shutil.copyfileobj(part, out)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
        raise FileError(f"not a readable zip archive: {exc}") from None
    shapes = sorted(folder.glob("*.[sS][hH][pP]"))
    if not shapes:
        raise FileError("the archive holds no .shp file")
    return shapes[0]


def _read_gdal(source: Path, fmt: str, max_rows: int, encoding: str | None):
    """Read a dataset GDAL can open, refusing it before reading if it has too many features."""
    import geopandas as gpd
    import pyogrio

    options = CSV_GEOMETRY if fmt == "csv" else {}
    errors = pyogrio.errors
    unreadable = (errors.DataSourceError, errors.DataLayerError, errors.FieldError, errors.FeatureError)
    try:
        features = pyogrio.read_info(source, encoding=encoding, **options).get("features", -1)
        if features is not None and features > max_rows:
            raise TooLarge(f"the file has {features} features; at most {max_rows}")
        frame = pyogrio.read_dataframe(source, encoding=encoding, max_features=max_rows + 1, **options)
    except unreadable as exc:
        raise FileError(f"cannot be read as {fmt}: {exc}") from None
    if len(frame) > max_rows:
        raise TooLarge(f"the file has more than {max_rows} features; at most {max_rows}")
    if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    return frame


def split_geometry(frame) -> tuple[list[dict], list | None]:
    """Return a frame's attribute records and its geometries (None when it has no geometry)."""
    import geopandas as gpd

    if not isinstance(frame, gpd.GeoDataFrame):
        return frame.to_dict("records"), None
    geometries = list(frame.geometry)
    return frame.drop(columns=frame.geometry.name).to_dict("records"), geometries
