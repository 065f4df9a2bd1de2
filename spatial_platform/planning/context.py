"""Everything a measure needs for one area and date: units, demand and facilities in metres."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

import asyncpg
import numpy as np
import pandas as pd
import shapely

from boundaries import DivisionNotFound, version_at
from spatial_platform.facilities import queries as facility_queries
from spatial_platform.facilities.models import ELDERLY_KINDS, KINDS
from spatial_platform.planning import queries
from spatial_platform.planning.errors import InvalidParameter, MissingData
from spatial_platform.planning.grid import spacing_for, spread_counts
from spatial_platform.planning.projection import (
    WGS84,
    crs_for_bounds,
    describe,
    expand,
    geometries_to,
    to_metric,
)
from spatial_platform.populations import queries as population_queries
from spatial_platform.populations.models import BANDS


@dataclass(frozen=True)
class Options:
    """What population and facilities a measure looks at, and how finely demand is spread."""

    band: str = "60+"
    kinds: tuple[str, ...] = ELDERLY_KINDS
    radius: float = 1000.0
    spacing: float | None = None
    max_points: int = 100_000

    def __post_init__(self) -> None:
        if self.band not in BANDS:
            raise InvalidParameter("band", f"band must be one of {', '.join(BANDS)}, got {self.band!r}")
        for kind in self.kinds:
            if kind not in KINDS:
                raise InvalidParameter("kinds", f"unknown facility kind {kind!r}; known: {', '.join(KINDS)}")
        if not 0 < self.radius <= 100_000:
            raise InvalidParameter("radius", "radius must be between 0 and 100,000 metres")
        if self.spacing is not None and not 10 <= self.spacing <= 50_000:
            raise InvalidParameter("spacing", "spacing must be between 10 and 50,000 metres")


@dataclass
class Context:
    """One area at one date: its divisions, the demand spread over them and the facilities open."""

    code: str
    name: str
    level: str
    at: date
    options: Options
    units: pd.DataFrame
    polygons: np.ndarray
    metric: np.ndarray
    crs: object
    demand: pd.DataFrame
    demand_source: str
    spacing: float | None
    population_year: int | None
    facilities: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def inputs(self) -> dict:
        """Return the inputs that reproduce a measure on this context."""
        return {
            "division": self.code,
            "name": self.name,
            "at": self.at.isoformat(),
            "band": self.options.band,
            "kinds": list(self.options.kinds),
            "radius_m": self.options.radius,
            "population_year": self.population_year,
            "demand": self.demand_source,
            "spacing_m": self.spacing,
            "demand_points": len(self.demand),
            "facilities": len(self.facilities),
            "crs": describe(self.crs),
        }

    def inside(self) -> pd.DataFrame:
        """Return the facilities located inside the area's divisions."""
        return self.facilities[self.facilities["division"].notna()]


def choose_year(years: list[int], at: date) -> tuple[int | None, str | None]:
    """Return the latest year not after ``at`` (else the earliest) and a note when falling back."""
    if not years:
        return None, None
    before = [y for y in years if y <= at.year]
    if before:
        return max(before), None
    return min(years), f"no population figures for {at.year} or earlier; using {min(years)}"


async def load_context(conn: asyncpg.Connection, code: str, at: date, options: Options) -> Context:
    """Read the area's divisions, populations and facilities at ``at`` and project them to metres."""
    version = await version_at(conn, code, at)
    if version is None:
        raise DivisionNotFound(f"division code {code} was not in use on {at}")
    if version["level"] not in ("province", "prefecture", "county"):
        raise InvalidParameter("division", "planning works on a province, prefecture or county")
    leaves = await queries.leaves_under(conn, code, at)
    geoms = {
        r["code"]: r for r in await queries.geometries_for(conn, [r["code"] for r in leaves] + [code], at)
    }
    units = [r for r in leaves if r["code"] in geoms]
    notes = []
    missing = [f"{r['code']} {r['name']}" for r in leaves if r["code"] not in geoms]
    if not units and code in geoms:
        units, missing = [version], []
    if not units:
        raise MissingData(
            f"no boundary geometry for {code} {version['name']} on {at}; "
            "load boundaries with `spatial-platform ingest boundaries`"
        )
    if missing:
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        notes.append(f"left out (no boundary on {at}): {', '.join(missing[:10])}{more}")
    frame = pd.DataFrame({"code": [r["code"] for r in units], "name": [r["name"] for r in units]})
    polygons = shapely.from_wkb(np.array([bytes(geoms[r["code"]]["geom"]) for r in units], dtype=object))
    bounds = tuple(float(v) for v in shapely.total_bounds(polygons))
    counts = await population_queries.counts_for(conn, list(frame["code"]), options.band)
    cell_years = await population_queries.cell_years(conn, options.band, bounds)
    cell_year, cell_note = choose_year(cell_years, at)
    cells = (
        await population_queries.cells(conn, cell_year, options.band, bounds) if cell_year else ([], [], [])
    )
    rows = await facility_queries.open_at(conn, at, expand(bounds, options.radius), list(options.kinds))
    return await asyncio.to_thread(
        _assemble,
        version,
        at,
        options,
        frame,
        polygons,
        bounds,
        counts,
        cell_year,
        cells,
        rows,
        notes,
        cell_note,
    )


def _older_by_unit(counts, units: pd.DataFrame, at: date) -> tuple[pd.Series, int | None, str | None]:
    """Return the chosen year's count per unit: its own figure, else the sum of its towns."""
    year, note = choose_year(sorted({r["year"] for r in counts}), at)
    own, towns = {}, {}
    for r in counts:
        if r["year"] != year:
            continue
        if r["level"] == "town":
            towns[r["parent_code"]] = towns.get(r["parent_code"], 0) + r["count"]
        else:
            own[r["division_code"]] = r["count"]
    values = [own.get(c, towns.get(c)) for c in units["code"]]
    return pd.Series(values, index=units["code"], dtype="float64"), year, note


def locate_in_units(metric: np.ndarray, x: np.ndarray, y: np.ndarray, codes: pd.Series) -> np.ndarray:
    """Return the code of the unit holding each point (None outside every unit; first unit on a border)."""
    out = np.full(len(x), None, dtype=object)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    todo = np.ones(len(x), dtype=bool)
    for polygon, code in zip(metric, codes.to_numpy(), strict=True):
        minx, miny, maxx, maxy = polygon.bounds
        near = np.flatnonzero(todo & (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
        if len(near) == 0:
            continue
        shapely.prepare(polygon)
        hit = near[shapely.contains_xy(polygon, x[near], y[near])]
        out[hit] = code
        todo[hit] = False
    return out


def _assemble(
    version, at, options, units, polygons, bounds, counts, cell_year, cells, rows, notes, cell_note
):
    """Project everything and spread or place the demand (blocking)."""
    crs = crs_for_bounds(bounds)
    metric = geometries_to(polygons, WGS84, crs)
    units["area_km2"] = shapely.area(metric) / 1e6
    older, year, note = _older_by_unit(counts, units, at)
    spacing = None
    if len(cells[0]):
        x, y = to_metric(cells[0], cells[1], crs)
        division = locate_in_units(metric, x, y, units["code"])
        demand = pd.DataFrame({"x": x, "y": y, "weight": np.asarray(cells[2], float), "division": division})
        demand = demand[demand["division"].notna()].reset_index(drop=True)
        source = f"population grid cells of {cell_year}"
        cell_totals = demand.groupby("division")["weight"].sum()
        older = older.fillna(cell_totals.reindex(older.index))
        year = year or cell_year
        notes.extend(n for n in (cell_note,) if n)
    else:
        total_area = float(units["area_km2"].sum() * 1e6)
        spacing = options.spacing or spacing_for(total_area, options.max_points, options.radius / 4)
        known = older.notna().to_numpy()
        demand = spread_counts(metric[known], units["code"][known], older.to_numpy()[known], spacing)
        source = f"division counts of {year} spread evenly over a {spacing:g} m grid" if year else "none"
        notes.extend(n for n in (note,) if n)
    without = [f"{c} {n}" for c, n, v in zip(units["code"], units["name"], older, strict=True) if pd.isna(v)]
    if without:
        more = f" and {len(without) - 10} more" if len(without) > 10 else ""
        notes.append(f"no {options.band} population figures for: {', '.join(without[:10])}{more}")
    units["older"] = older.to_numpy()
    facilities = pd.DataFrame([dict(r) for r in rows], columns=_FACILITY_COLUMNS)
    fx, fy = to_metric(facilities["lon"].to_numpy(float), facilities["lat"].to_numpy(float), crs)
    facilities["x"], facilities["y"] = fx, fy
    facilities["division"] = locate_in_units(metric, fx, fy, units["code"])
    return Context(
        version["code"],
        version["name"],
        version["level"],
        at,
        options,
        units,
        polygons,
        metric,
        crs,
        demand,
        source,
        spacing,
        year,
        facilities,
        notes,
    )


_FACILITY_COLUMNS = ["id", *facility_queries.WRITABLE_COLUMNS, "source", "synthetic"]
