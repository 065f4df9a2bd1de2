"""Parsing the standard query parameters: bbox, bbox-crs, datetime, crs, limit and offset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from boundaries import CoveredPeriod, InvalidInput
from spatial_platform.ogc.errors import BadParameter

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"
CRSES = (CRS84, CGCS2000)
"""Coordinates are stored in WGS 84; CGCS2000 (EPSG:4490) agrees with it to centimetres and is
served as the same coordinates in its own axis order (latitude, longitude)."""
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 10


@dataclass(frozen=True)
class Period:
    """A closed date interval; ``None`` ends are open."""

    start: date | None
    end: date | None

    @property
    def instant(self) -> date | None:
        """The date when the interval is one instant."""
        return self.start if self.start == self.end else None


_ANY_DAY = CoveredPeriod(date.min, date.max)


def _day(text: str, end: bool = True) -> date:
    """An RFC 3339 date-time (its day), or a date as the whole API takes it (YYYY, YYYY-MM, YYYY-MM-DD).

    A year or month opening an interval means its first day, otherwise its last.
    """
    text = text.strip()
    if "T" in text or " " in text:
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            raise BadParameter("datetime", f"{text!r} is not an RFC 3339 date-time") from None
    try:
        return _ANY_DAY.parse(text, "datetime", end=end)
    except InvalidInput as exc:
        raise BadParameter("datetime", str(exc)) from None


def datetime_param(value: str | None, today: date) -> Period:
    """Parse an instant or an interval (``a/b``, ``../b``, ``a/..``); default: today (the register now)."""
    if value is None or not value.strip():
        return Period(today, today)
    if "/" not in value:
        d = _day(value)
        return Period(d, d)
    a, _, b = value.partition("/")
    start = None if a.strip() in ("", "..") else _day(a, end=False)
    end = None if b.strip() in ("", "..") else _day(b)
    if start and end and start > end:
        raise BadParameter("datetime", f"the interval {value!r} ends before it starts")
    return Period(start, end)


def crs_param(value: str | None, name: str = "crs") -> str:
    """Return one of the supported CRS URIs (default CRS84)."""
    if value is None or not value.strip():
        return CRS84
    value = value.strip().strip("<>")
    if value not in CRSES:
        raise BadParameter(name, f"{name} must be one of {', '.join(CRSES)}, got {value!r}")
    return value


def bbox_param(value: str | None, crs: str = CRS84) -> tuple[float, float, float, float] | None:
    """Parse ``minx,miny,maxx,maxy`` (in ``crs`` axis order) into lon/lat order."""
    if value is None or not value.strip():
        return None
    try:
        parts = [float(x) for x in value.split(",")]
    except ValueError:
        raise BadParameter("bbox", f"bbox must be four numbers, got {value!r}") from None
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise BadParameter("bbox", f"bbox must be four (or six) numbers, got {len(parts)}")
    if crs == CGCS2000:  # latitude first
        parts = [parts[1], parts[0], parts[3], parts[2]]
    x1, y1, x2, y2 = parts
    if not (-180 <= x1 <= 180 and -180 <= x2 <= 180 and -90 <= y1 <= 90 and -90 <= y2 <= 90) or y1 > y2:
        raise BadParameter("bbox", f"bbox {value!r} is outside the CRS's range or upside down")
    return x1, y1, x2, y2


def page(limit: int | None, offset: int | None) -> tuple[int, int]:
    """Return (limit, offset), the limit capped at MAX_LIMIT as the standard allows."""
    if limit is not None and limit < 1:
        raise BadParameter("limit", "limit must be at least 1")
    if offset is not None and offset < 0:
        raise BadParameter("offset", "offset must not be negative")
    return min(limit or DEFAULT_LIMIT, MAX_LIMIT), offset or 0
