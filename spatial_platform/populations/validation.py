"""Check population rows (long: code, year, band, count; or wide: one column per band)."""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise

from spatial_platform.facilities.readers import CellError, Table, integer, number, pick, text
from spatial_platform.populations.models import BAND_COLUMNS, BANDS

_CODE = re.compile(r"\d{6}(\d{3}(\d{3})?)?")
_CODE_COLUMNS = ("division_code", "code", "区划代码")
COUNT_MAX = 2_000_000_000
"""Above China's whole population (about 1.4 billion): a larger count is a typo or a corrupt cell."""


def _year(value, today: date) -> int:
    """Return a year between 1981 and this year."""
    year = integer(value, 1)
    if year is None:
        raise CellError("is required")
    if not 1981 <= year <= today.year:
        raise CellError(f"must be between 1981 and {today.year}, got {year}")
    return year


def _counts(raw: dict, parse) -> tuple[dict[str, float], list[tuple[str, str]]]:
    """Return {band: count} from a long or wide row, and (field, reason) problems."""
    problems: list[tuple[str, str]] = []
    counts: dict[str, float] = {}
    band = pick(raw, "band", "age_band", "年龄组")
    if band is not None:
        if str(band) not in BANDS:
            problems.append(("band", f"band must be one of {', '.join(BANDS)}, got {band!r}"))
        column = ("count", "population", "人口")
        try:
            value = parse(pick(raw, *column))
            if value is None:
                problems.append(("count", "count is required"))
            elif str(band) in BANDS:
                counts[str(band)] = value
        except CellError as exc:
            problems.append(("count", f"count {exc}"))
        return counts, problems
    for column, key in BAND_COLUMNS.items():
        try:
            value = parse(pick(raw, column))
        except CellError as exc:
            problems.append((column, f"{column} {exc}"))
            continue
        if value is not None:
            counts[key] = value
    if not counts and not problems:
        problems.append(("count", "give band and count, or columns total, 60+, 65+, 80+"))
    return counts, problems


def validate_populations(table: Table, today: date) -> tuple[list[dict], list[dict]]:
    """Return (records, errors); a record is one division, year, band and count (with its row)."""
    records, errors = [], []
    seen: dict[tuple, int] = {}
    for i, raw in enumerate(table.rows):
        n = i + 1
        before = len(errors)
        code = pick(raw, *_CODE_COLUMNS)
        code = str(code) if code is not None else None
        if code is None or not _CODE.fullmatch(code):
            reason = "division_code is required" if code is None else f"{code!r} is not a division code"
            errors.append({"row": n, "field": "division_code", "reason": reason})
        try:
            year = _year(pick(raw, "year", "年份"), today)
        except CellError as exc:
            errors.append({"row": n, "field": "year", "reason": f"year {exc}"})
            year = None
        try:
            source = text(pick(raw, "source", "来源"))
        except CellError as exc:
            errors.append({"row": n, "field": "source", "reason": f"source {exc}"})
            source = None
        counts, problems = _counts(raw, lambda v: integer(v, 0, COUNT_MAX))
        errors.extend({"row": n, "field": f, "reason": r} for f, r in problems)
        for band in counts:
            key = (code, year, band)
            if key in seen and len(errors) == before:
                errors.append(
                    {
                        "row": n,
                        "field": "band",
                        "reason": f"{band} for {code} in {year} repeats row {seen[key]}",
                    }
                )
            seen.setdefault(key, n)
        if len(errors) == before:
            records.extend(
                {"row": n, "code": code, "year": year, "band": b, "count": c, "source": source}
                for b, c in counts.items()
            )
    errors.extend(_order_errors(records))
    return records, errors


def _order_errors(records: list[dict]) -> list[dict]:
    """Report a band that exceeds a wider band for the same division and year (e.g. 65+ > 60+)."""
    by_key: dict[tuple, dict[str, dict]] = {}
    for r in records:
        by_key.setdefault((r["code"], r["year"]), {})[r["band"]] = r
    out = []
    for (code, year), bands in by_key.items():
        present = [b for b in BANDS if b in bands]
        for wider, narrower in pairwise(present):
            if bands[narrower]["count"] > bands[wider]["count"]:
                out.append(
                    {
                        "row": bands[narrower]["row"],
                        "field": narrower,
                        "reason": f"{narrower} ({bands[narrower]['count']}) exceeds {wider} "
                        f"({bands[wider]['count']}) for {code} in {year}",
                    }
                )
    return out


def validate_cells(table: Table, today: date) -> tuple[list[dict], list[dict]]:
    """Return (records, errors) for grid cells: a Point or Polygon geometry, year, band(s) and count."""
    records, errors = [], []
    for i, raw in enumerate(table.rows):
        n = i + 1
        before = len(errors)
        geometry = table.geometries[i] if table.geometries is not None else None
        if (
            geometry is None
            or geometry.is_empty
            or geometry.geom_type not in ("Point", "Polygon", "MultiPolygon")
        ):
            errors.append(
                {"row": n, "field": "geometry", "reason": "a grid cell needs a Point or Polygon geometry"}
            )
        try:
            year = _year(pick(raw, "year", "年份"), today)
        except CellError as exc:
            errors.append({"row": n, "field": "year", "reason": f"year {exc}"})
            year = None
        counts, problems = _counts(raw, _nonnegative)
        errors.extend({"row": n, "field": f, "reason": r} for f, r in problems)
        if len(errors) == before:
            point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
            records.extend(
                {"row": n, "lon": point.x, "lat": point.y, "year": year, "band": b, "count": c}
                for b, c in counts.items()
            )
    return records, errors


def _nonnegative(value) -> float | None:
    """Return a count that may be fractional (a grid cell's share) but not negative."""
    result = number(value)
    if result is not None and result < 0:
        raise CellError(f"must be at least 0, got {value!r}")
    if result is not None and result > COUNT_MAX:
        raise CellError(f"must be at most {COUNT_MAX}, got {value!r}")
    return result
