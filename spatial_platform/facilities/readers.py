"""Read import files (CSV, GeoJSON, GeoPackage) into raw rows, and parse their cells."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from boundaries import TextFileError, TooManyRows, read_csv_bytes
from spatial_platform.facilities.errors import ProblemTooLarge, UnreadableFile

FORMATS = {".csv": "csv", ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg"}
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_CONTROL = re.compile(r"[\x00-\x1f]")
INT4_MAX = 2_147_483_647
MAX_ROWS = 1_000_000
"""Rows (features) an import file may hold unless the caller sets another limit."""


@dataclass
class Table:
    """The records of one file: attributes per row and, for spatial formats, a geometry per row."""

    format: str
    rows: list[dict]
    geometries: list | None


class CellError(ValueError):
    """A cell's value is unusable; the message says why."""


def read_table(path: Path, max_rows: int = MAX_ROWS) -> Table:
    """Read ``path`` by its extension; raise UnreadableFile with the reason (blocking).

    A file with more than ``max_rows`` rows or features raises ProblemTooLarge before it is read.
    """
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise UnreadableFile(f"{path.name}: unsupported file type; use .csv, .geojson or .gpkg")
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    if kind == "csv":
        return _read_csv(path, max_rows)
    import pyogrio

    try:
        features = pyogrio.read_info(path).get("features", -1)
    except Exception as exc:  # pyogrio raises several GDAL error classes
        raise UnreadableFile(f"{path.name}: cannot be read as {kind}: {exc}") from None
    if features is not None and features > max_rows:
        raise ProblemTooLarge("file", f"{path.name} has {features} features; at most {max_rows}")
    try:
        frame = pyogrio.read_dataframe(path, max_features=max_rows + 1)
    except Exception as exc:
        raise UnreadableFile(f"{path.name}: cannot be read as {kind}: {exc}") from None
    if len(frame) > max_rows:
        raise ProblemTooLarge("file", f"{path.name} has more than {max_rows} features; at most {max_rows}")
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    geometries = list(frame.geometry)
    attributes = frame.drop(columns=frame.geometry.name)
    rows = [{k: _native(v) for k, v in row.items()} for row in attributes.to_dict(orient="records")]
    return Table(kind, rows, geometries)


def _read_csv(path: Path, max_rows: int) -> Table:
    """Read a UTF-8 (with or without BOM) or GB18030/GBK CSV with a header row, checked line by line."""
    try:
        checked = read_csv_bytes(path.read_bytes(), max_rows)
    except TooManyRows as exc:
        raise ProblemTooLarge("file", f"{path.name}: {exc}") from None
    except TextFileError as exc:
        error = UnreadableFile(f"{path.name}: {exc}")
        error.body = {"line": exc.line} if exc.line else None
        raise error from None
    names = [name.strip() for name in checked.header]
    rows = [dict(zip(names, row, strict=True)) for row in checked.rows]
    return Table("csv", rows, None)


def _native(value):
    """Turn pandas/numpy scalars and missing values into plain Python values."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat") and not isinstance(value, date):
        return value.date()
    return value


def pick(row: dict, *names: str):
    """Return the first present, non-blank value among column ``names``."""
    for name in names:
        value = row.get(name)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return value.strip() if isinstance(value, str) else value
    return None


def text(value, max_length: int = 200) -> str | None:
    """Return trimmed text or None; reject control characters and over-long values."""
    if value is None:
        return None
    result = str(value).strip()
    if _CONTROL.search(result):
        raise CellError("contains a control character")
    if len(result) > max_length:
        raise CellError(f"is {len(result)} characters long; at most {max_length}")
    return result or None


def integer(value, minimum: int = 0, maximum: int = INT4_MAX) -> int | None:
    """Return a whole number from ``minimum`` to ``maximum`` or None."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CellError(f"must be a whole number, got {value!r}") from None
    if not math.isfinite(number) or number != int(number):
        raise CellError(f"must be a whole number, got {value!r}")
    if number < minimum:
        raise CellError(f"must be at least {minimum}, got {value!r}")
    if number > maximum:
        raise CellError(f"must be at most {maximum}, got {value!r}")
    return int(number)


def number(value) -> float | None:
    """Return a finite float or None."""
    if value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise CellError(f"must be a number, got {value!r}") from None
    if not math.isfinite(result):
        raise CellError(f"must be a finite number, got {value!r}")
    return result


def day(value) -> date | None:
    """Return a date from YYYY, YYYY-MM or YYYY-MM-DD (missing month/day → 1), or None."""
    if value is None:
        return None
    if isinstance(value, date):
        return value
    match = _DATE.fullmatch(str(value).strip())
    if not match:
        raise CellError(f"must be YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    try:
        return date(int(match[1]), int(match[2] or 1), int(match[3] or 1))
    except ValueError:
        raise CellError(f"is not a real date: {value!r}") from None
