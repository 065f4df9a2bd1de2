"""Response and request shapes of the reverse-geocoding API (pydantic, shown in OpenAPI)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

from boundaries.history.models import ResolveError


class ReverseDivision(BaseModel):
    """A division holding the point, and how its geometry is known (surveyed, derived or approximate)."""

    code: str
    name: str
    level: Literal["province", "prefecture", "county"]
    kind: Literal["surveyed", "derived", "approximate"] | None = None


class WgsPoint(BaseModel):
    """A point in WGS 84 degrees."""

    lon: float
    lat: float


class ReverseAnswer(BaseModel):
    """The province, prefecture and county holding a point at a date; ``empty`` says why a level is null."""

    lon: float
    lat: float
    crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
    at: date
    wgs84: WgsPoint
    province: ReverseDivision | None
    prefecture: ReverseDivision | None
    county: ReverseDivision | None
    geometry_kind: Literal["surveyed", "derived", "approximate"] | None
    empty: dict[Literal["prefecture", "county"], str] | None = None


class ReversePoint(BaseModel):
    """One point of a batch: coordinates in the batch CRS, optional date and caller's id."""

    lon: float
    lat: float
    at: str | None = None
    id: str | int | None = None


class ReverseBatchRequest(BaseModel):
    """Up to the configured limit (100,000 by default) of points; ``at`` and ``crs`` apply to all."""

    points: list[ReversePoint]
    at: str | None = None
    crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] | None = None


class ReverseResult(BaseModel):
    """The answer for one point, in input order; ``line`` is the CSV line number."""

    index: int
    id: str | int | None = None
    line: int | None = None
    lon: float | None
    lat: float | None
    at: date | None
    status: Literal["found", "outside", "invalid"]
    province: ReverseDivision | None = None
    prefecture: ReverseDivision | None = None
    county: ReverseDivision | None = None
    geometry_kind: Literal["surveyed", "derived", "approximate"] | None = None
    empty: dict[Literal["prefecture", "county"], str] | None = None
    error: ResolveError | None = None


class ReverseBatchAnswer(BaseModel):
    """Answers for a whole batch with counts per status."""

    count: int
    found: int
    outside: int
    invalid: int
    results: list[ReverseResult]
