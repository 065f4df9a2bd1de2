"""Check facility rows: every problem is reported with its row, field and reason."""

from __future__ import annotations

import numpy as np
import shapely

from boundaries import crs as coordinates
from spatial_platform.facilities.models import ALIASES
from spatial_platform.facilities.readers import CellError, Table, day, integer, number, pick, text

_LON = ("lon", "longitude", "lng", "x", "经度")
_LAT = ("lat", "latitude", "y", "纬度")
BEDS_MAX = 1_000_000
"""More beds (or places) than any one facility has: a larger value is a typo or a corrupt cell."""


def _cell(errors: list, row: int, field: str, parse, value):
    """Parse one cell, recording an error (and returning None) if it is unusable."""
    try:
        return parse(value)
    except CellError as exc:
        errors.append({"row": row, "field": field, "reason": f"{field} {exc}"})
        return None


def _places(value) -> int | None:
    """Return a count of beds or places from 0 to BEDS_MAX, or None."""
    return integer(value, 0, BEDS_MAX)


def _location(errors: list, n: int, raw: dict, geometry) -> tuple[float, float] | None:
    """Return (lon, lat) from a Point geometry or lon/lat columns."""
    if geometry is not None:
        if geometry.is_empty or geometry.geom_type != "Point":
            errors.append({"row": n, "field": "geometry", "reason": "geometry must be a Point"})
            return None
        return geometry.x, geometry.y
    lon = _cell(errors, n, "lon", number, pick(raw, *_LON))
    lat = _cell(errors, n, "lat", number, pick(raw, *_LAT))
    if lon is None or lat is None:
        if not any(e["row"] == n and e["field"] in ("lon", "lat") for e in errors):
            errors.append(
                {"row": n, "field": "lon", "reason": "a location (lon and lat columns) is required"}
            )
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        errors.append({"row": n, "field": "lon", "reason": f"({lon}, {lat}) is not a longitude/latitude"})
        return None
    return lon, lat


def validate_facilities(table: Table, crs: str = "wgs84") -> tuple[list[dict], list[dict]]:
    """Return (records, errors); records carry WGS-84 lon/lat, errors {row, field, reason}."""
    crs = coordinates.check_crs(crs)
    records, errors = [], []
    seen: dict[str, int] = {}
    for i, raw in enumerate(table.rows):
        n = i + 1
        before = len(errors)
        geometry = table.geometries[i] if table.geometries is not None else None
        name = _cell(errors, n, "name", text, pick(raw, "name", "名称"))
        if name is None and len(errors) == before:
            errors.append({"row": n, "field": "name", "reason": "name is required"})
        kind_raw = pick(raw, "kind", "type", "类型")
        kind = ALIASES.get(str(kind_raw).strip()) if kind_raw is not None else None
        if kind is None:
            reason = (
                "kind is required" if kind_raw is None else f"kind {kind_raw!r} is not a known facility kind"
            )
            errors.append({"row": n, "field": "kind", "reason": reason})
        where = _location(errors, n, raw, geometry)
        record = {
            "external_id": _cell(
                errors, n, "id", lambda v: text(v, 100), pick(raw, "id", "external_id", "编号")
            ),
            "name": name,
            "kind": kind,
            "beds": _cell(errors, n, "beds", _places, pick(raw, "beds", "床位", "床位数")),
            "capacity": _cell(errors, n, "capacity", _places, pick(raw, "capacity", "容量")),
            "operator": _cell(errors, n, "operator", text, pick(raw, "operator", "运营方", "举办者")),
            "opened": _cell(errors, n, "opened", day, pick(raw, "opened", "opened_on", "开业时间")),
            "closed": _cell(errors, n, "closed", day, pick(raw, "closed", "closed_on", "关闭时间")),
        }
        if record["opened"] and record["closed"] and record["closed"] <= record["opened"]:
            errors.append({"row": n, "field": "closed", "reason": "closed must be after opened"})
        if record["external_id"] is not None:
            if record["external_id"] in seen:
                first = seen[record["external_id"]]
                errors.append({"row": n, "field": "id", "reason": f"id repeats row {first}"})
            seen.setdefault(record["external_id"], n)
        if len(errors) == before and where is not None:
            records.append({**record, "row": n, "lon": where[0], "lat": where[1]})
    if crs != "wgs84" and records:
        lon, lat = coordinates.to_wgs84(
            np.array([r["lon"] for r in records]), np.array([r["lat"] for r in records]), crs
        )
        for record, x, y in zip(records, lon, lat, strict=True):
            record["lon"], record["lat"] = float(x), float(y)
    return records, errors


def points(records: list[dict]) -> np.ndarray:
    """Return the records' locations as shapely points."""
    return shapely.points([r["lon"] for r in records], [r["lat"] for r in records])
