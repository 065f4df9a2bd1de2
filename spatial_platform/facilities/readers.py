"""Read import files (CSV, GeoJSON, GeoPackage) into raw rows, and parse their cells."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from boundaries import (
    MAX_ROWS,
    CoveredPeriod,
    FileError,
    InvalidInput,
    TooLarge,
    detect_format,
    read_csv_file,
    read_features,
    split_geometry,
)
from spatial_platform.facilities.errors import ProblemTooLarge, UnreadableFile

ENDINGS = (".csv", ".geojson", ".json", ".gpkg")
ANY_DAY = CoveredPeriod(date.min, date.max)  # facility dates may be any day, parsed the one way
_CONTROL = re.compile(r"[\x00-\x1f]")
INT4_MAX = 2_147_483_647


@dataclass
class Table:
    """The records of one file: attributes per row and, for spatial formats, a geometry per row."""

    format: str
    rows: list[dict]
    geometries: list | None


class CellError(ValueError):
    """A cell's value is unusable; the message says why."""


def read_table(path: Path, max_rows: int = MAX_ROWS, encoding: str | None = None) -> Table:
    """Read ``path`` by its extension; raise UnreadableFile with the reason (blocking).

    A CSV keeps its cells as text; ``encoding`` (utf-8, gb18030 or gbk) forces its encoding, None
    detects it. A file with more than ``max_rows`` rows or features raises ProblemTooLarge before
    it is read.
    """
    kind = detect_format(path, ENDINGS)
    if kind is None:
        raise UnreadableFile(f"{path.name}: unsupported file type; use .csv, .geojson or .gpkg")
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    try:
        if kind == "csv":
            checked = read_csv_file(path, max_rows, encoding)
        else:
            records, geometries = split_geometry(read_features(path, kind, max_rows))
    except TooLarge as exc:
        raise ProblemTooLarge("file", f"{path.name}: {exc}") from None
    except FileError as exc:
        error = UnreadableFile(f"{path.name}: {exc}")
        error.body = {"line": exc.line} if exc.line else None
        raise error from None
    if kind == "csv":
        names = [name.strip() for name in checked.header]
        return Table("csv", [dict(zip(names, row, strict=True)) for row in checked.rows], None)
    return Table(kind, [{k: _native(v) for k, v in row.items()} for row in records], geometries)


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
    try:
        return ANY_DAY.parse(str(value).strip(), "value", end=False)
    except InvalidInput as exc:
        raise CellError(str(exc).replace("value ", "", 1).replace("value=", "")) from None
