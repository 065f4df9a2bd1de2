"""Reverse-geocoding requests: parse one point or a JSON/CSV batch, answer with a ReverseGeocoder."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import date

import asyncpg
import numpy as np
import orjson

from boundaries import crs as crs_
from boundaries.errors import BatchTooLarge, InvalidInput, PointNotInDivision
from boundaries.io.uploads import csv_body
from boundaries.reverse.service import ReverseGeocoder

_RANGE = {"lon": 180.0, "lat": 90.0}
INLINE_POINTS = 256  # smaller lookups take well under a millisecond: not worth a thread hop


async def _off_loop(size: int, fn, *args):
    """Run numpy/shapely work in a worker thread, unless it is small enough to run at once."""
    return fn(*args) if size <= INLINE_POINTS else await asyncio.to_thread(fn, *args)


def check_crs(value: str | None) -> str:
    """Return a known CRS name (default wgs84) or raise InvalidInput naming ``crs``."""
    try:
        return crs_.check_crs(value)
    except ValueError as exc:
        raise InvalidInput("crs", str(exc)) from None


def coordinate(value, name: str) -> float:
    """Return a finite longitude or latitude in range, or raise InvalidInput naming it."""
    if value is None or value == "":
        raise InvalidInput(name, f"{name} is required")
    if isinstance(value, bool):
        raise InvalidInput(name, f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(name, f"{name} must be a number, got {value!r}") from None
    limit = _RANGE[name]
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise InvalidInput(name, f"{name} must be between {-limit:g} and {limit:g} degrees, got {value!r}")
    return number


@dataclass
class PointBatch:
    """Points of a batch request; a point that could not be read has NaN coordinates and an error."""

    lon: list = field(default_factory=list)
    lat: list = field(default_factory=list)
    at: list = field(default_factory=list)
    ids: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)

    def add(self, lon, lat, at=None, id_=None, line: int | None = None) -> None:
        """Append one raw point, recording why it is unusable if it is."""
        index = len(self.lon)
        self.ids.append(id_)
        self.lines.append(line)
        self.at.append(at)
        try:
            x, y = coordinate(lon, "lon"), coordinate(lat, "lat")
        except InvalidInput as exc:
            x = y = math.nan
            self.errors[index] = {"field": exc.field, "message": str(exc)}
        self.lon.append(x)
        self.lat.append(y)

    def fail(self, field_name: str, message: str, line: int | None = None) -> None:
        """Append a point that could not be read at all."""
        self.add(None, None, line=line)
        self.errors[len(self.lon) - 1] = {"field": field_name, "message": message}


def parse_json(body: bytes, max_points: int) -> tuple[PointBatch, str | None, str | None]:
    """Read ``{"points": [{lon, lat, at?, id?} | [lon, lat]], "at"?, "crs"?}``; return (batch, at, crs)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput("body", f"request body is not valid JSON: {exc}") from None
    points = data.get("points") if isinstance(data, dict) else None
    if not isinstance(points, list):
        raise InvalidInput("points", "body must be an object with a list 'points' of {lon, lat}")
    if len(points) > max_points:
        raise BatchTooLarge(f"{len(points)} points sent; at most {max_points} per request")
    batch = PointBatch()
    for p in points:
        if isinstance(p, dict):
            batch.add(p.get("lon"), p.get("lat"), p.get("at"), p.get("id"))
        elif isinstance(p, list) and len(p) == 2:
            batch.add(p[0], p[1])
        else:
            batch.add(None, None)
            batch.errors[len(batch.lon) - 1] = {
                "field": "point",
                "message": "a point is {lon, lat} or [lon, lat]",
            }
    return batch, data.get("at"), data.get("crs")


def parse_csv(body: bytes | str, max_points: int, lon_col: str = "lon", lat_col: str = "lat") -> PointBatch:
    """Read CSV with a header naming the lon and lat columns (optional ``at`` and ``id`` columns).

    The body may be UTF-8 (with or without BOM) or GB18030/GBK. A body that is cut off (its last
    line without a line break), has an unterminated quote or a row with the wrong number of fields
    is refused as a whole, naming the line.
    """
    table = csv_body(body, max_points)
    header = table.header
    names = [h.strip().lower() for h in header]
    for name, label in ((lon_col, "lon_col"), (lat_col, "lat_col")):
        if name.lower() not in names:
            raise InvalidInput(label, f"CSV header has no column {name!r} (columns: {', '.join(header)})")
    ix, iy = names.index(lon_col.lower()), names.index(lat_col.lower())
    iat = names.index("at") if "at" in names else None
    iid = names.index("id") if "id" in names else None
    batch = PointBatch()
    for line, row in zip(table.lines, table.rows, strict=True):
        if all(not cell.strip() for cell in row):
            continue
        cells = [c.strip() for c in row]
        at = cells[iat] or None if iat is not None else None
        batch.add(cells[ix], cells[iy], at, cells[iid] if iid is not None else None, line=line)
    return batch


def reverse_from_memory(geocoder: ReverseGeocoder, lon, lat, at, crs, today: date) -> dict | None:
    """Answer GET /v1/reverse without the database when the model is in memory and current, else None."""
    x, y, name = coordinate(lon, "lon"), coordinate(lat, "lat"), check_crs(crs)
    if not geocoder.current():
        return None
    when = geocoder.coverage(today).parse(at)
    model = geocoder.cached(when)
    return None if model is None else _point(model, x, y, name, when)


async def reverse_one(geocoder: ReverseGeocoder, conn: asyncpg.Connection, lon, lat, at, crs, today: date):
    """Answer GET /v1/reverse: the divisions holding one point at a date, or PointNotInDivision."""
    x, y, name = coordinate(lon, "lon"), coordinate(lat, "lat"), check_crs(crs)
    await geocoder.refresh(conn)
    when = geocoder.coverage(today).parse(at)
    model = await geocoder.model_at(conn, when, refreshed=True)
    return _point(model, x, y, name, when)


def _point(model, x: float, y: float, name: str, when: date) -> dict:
    """Locate one point with a model and describe what holds it (PointNotInDivision if nothing)."""
    wx, wy = crs_.to_wgs84(np.array([x]), np.array([y]), name)
    (found,) = model.locate(wx, wy)
    if found < 0:
        raise PointNotInDivision(
            f"no division contains the point lon={x:g}, lat={y:g} ({name}) on {when}: "
            "it lies outside every division boundary known for that date"
        )
    where = {"lon": float(wx[0]), "lat": float(wy[0])}
    return {"lon": x, "lat": y, "crs": name, "at": when, "wgs84": where, **model.describe(int(found))}


async def reverse_batch(
    geocoder: ReverseGeocoder, conn: asyncpg.Connection, batch: PointBatch, at, crs, today: date
) -> dict:
    """Answer a batch: one entry per point in order; bad points get their own error."""
    name = check_crs(crs)
    await geocoder.refresh(conn)
    coverage = geocoder.coverage(today)
    default = coverage.parse(at)
    n = len(batch.lon)
    when: list[date | None] = [None] * n
    parsed: dict = {}
    for i in range(n):
        if i in batch.errors:
            continue
        raw = batch.at[i]
        try:
            if raw in (None, ""):
                when[i] = default
            elif isinstance(raw, str):
                when[i] = parsed[raw] if raw in parsed else parsed.setdefault(raw, coverage.parse(raw))
            else:
                raise InvalidInput("at", f"at must be a date string YYYY, YYYY-MM or YYYY-MM-DD, got {raw!r}")
        except InvalidInput as exc:
            batch.errors[i] = {"field": exc.field, "message": str(exc)}
    lon, lat = np.array(batch.lon, dtype=np.float64), np.array(batch.lat, dtype=np.float64)
    ok = np.array([when[i] is not None for i in range(n)], dtype=bool)
    wx, wy = np.full(n, np.nan), np.full(n, np.nan)
    if ok.any():
        wx[ok], wy[ok] = await _off_loop(int(ok.sum()), crs_.to_wgs84, lon[ok], lat[ok], name)
    days: dict[date, list[int]] = {}
    for i, day in enumerate(when):
        if day is not None:
            days.setdefault(day, []).append(i)
    models, groups = {}, {}
    for day, members in days.items():
        models[day] = model = await geocoder.model_at(conn, day, refreshed=True)
        groups.setdefault(id(model), (model, []))[1].extend(members)
    found = np.full(n, -1, dtype=np.int64)
    for model, members in groups.values():
        idx = np.array(members, dtype=np.int64)
        found[idx] = await _off_loop(len(idx), model.locate, wx[idx], wy[idx])
    return await _off_loop(n, _results, batch, when, found, models)


def _results(batch: PointBatch, when: list, found: np.ndarray, models: dict) -> dict:
    """Shape the per-point entries and the counts."""
    described: dict[tuple, dict] = {}
    results, counts = [], {"found": 0, "outside": 0, "invalid": 0}
    for i in range(len(batch.lon)):
        entry = {"index": i, "id": batch.ids[i], "lon": batch.lon[i], "lat": batch.lat[i], "at": when[i]}
        if batch.lines[i] is not None:
            entry["line"] = batch.lines[i]
        if i in batch.errors:
            entry.update(status="invalid", error=batch.errors[i], lon=None, lat=None)
        elif found[i] < 0:
            entry.update(status="outside", error=None)
        else:
            key = (when[i], int(found[i]))
            if key not in described:
                described[key] = models[when[i]].describe(key[1])
            entry.update(status="found", error=None, **described[key])
        counts[entry["status"]] += 1
        results.append(entry)
    return {"count": len(results), **counts, "results": results}
