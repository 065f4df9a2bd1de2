"""Load the synthetic planning set for one real division, replacing any earlier synthetic set there."""

from __future__ import annotations

import asyncio
from datetime import date

import asyncpg
import numpy as np
import pandas as pd
import shapely

from boundaries import DivisionNotFound, ReverseEngine, parent_chain, version_at
from spatial_platform.facilities.readers import Table
from spatial_platform.facilities.service import Locator, import_facilities
from spatial_platform.planning import queries
from spatial_platform.planning.errors import InvalidParameter, MissingData
from spatial_platform.planning.projection import WGS84, crs_for_bounds, geometries_to, to_wgs84
from spatial_platform.planning.synthetic import DEFAULT_SEED, SOURCE, synthesize
from spatial_platform.populations import queries as population_queries
from spatial_platform.populations.service import import_populations


def area_locator(codes: list[str], polygons: np.ndarray, chains: dict[str, dict[str, str]]) -> Locator:
    """Return a locator that reverse-geocodes with REV's engine over just these divisions' polygons."""
    engine = ReverseEngine(polygons)

    async def locate(conn, lon: np.ndarray, lat: np.ndarray, when: date) -> dict:
        found = await asyncio.to_thread(engine.lookup, lon, lat)
        out = {}
        for slot in ("province", "prefecture", "county"):
            column = np.full(len(found), None, dtype=object)
            for i, hit in enumerate(found):
                if hit >= 0:
                    column[i] = chains[codes[hit]].get(slot)
            out[f"{slot}_code"] = column
        return out

    return locate


async def _chains(conn: asyncpg.Connection, codes: list[str], when: date) -> dict[str, dict[str, str]]:
    """Return, per code, the codes of itself and its ancestors by level."""
    out = {}
    for code in codes:
        version = await version_at(conn, code, when)
        rows = [version, *await parent_chain(conn, code, when)]
        out[code] = {r["level"]: r["code"] for r in rows}
    return out


async def load_demo(
    conn: asyncpg.Connection,
    code: str,
    *,
    seed: int = DEFAULT_SEED,
    year: int | None = None,
    today: date | None = None,
) -> dict:
    """Generate and write the synthetic set for ``code`` in one transaction; return what was written."""
    today = today or date.today()
    year = year or today.year
    if not 1981 <= year <= today.year:
        raise InvalidParameter("year", f"year must be between 1981 and {today.year}")
    version = await version_at(conn, code, today)
    if version is None:
        raise DivisionNotFound(f"division code {code} is not in use today ({today})")
    leaves = await queries.leaves_under(conn, code, today)
    geoms = {r["code"]: r for r in await queries.geometries_for(conn, [r["code"] for r in leaves], today)}
    units = pd.DataFrame(
        [
            {"code": r["code"], "name": r["name"], "parent_code": r["parent_code"]}
            for r in leaves
            if r["code"] in geoms
        ]
    )
    if units.empty:
        raise MissingData(
            f"no boundaries for the divisions of {code}; run `spatial-platform ingest boundaries`"
        )
    codes = list(units["code"])
    real = await queries.real_population_in(conn, codes, year)
    if real:
        raise InvalidParameter(
            "division", f"real population figures exist for {real} in {year}; not overwritten"
        )
    polygons = shapely.from_wkb(np.array([bytes(geoms[c]["geom"]) for c in codes], dtype=object))
    bounds = tuple(float(v) for v in shapely.total_bounds(polygons))
    crs = crs_for_bounds(bounds)
    metric = await asyncio.to_thread(geometries_to, polygons, WGS84, crs)
    made = await asyncio.to_thread(synthesize, units, metric, lambda x, y: to_wgs84(x, y, crs), seed, year)
    locate = area_locator(codes, polygons, await _chains(conn, codes, today))
    async with conn.transaction():
        removed = await queries.delete_synthetic_facilities(conn, codes, SOURCE)
        await queries.delete_synthetic_cells(conn, bounds, SOURCE)
        await population_queries.delete_synthetic(conn, codes, SOURCE)
        people = await import_populations(
            conn, Table("synthetic", made.populations, None), source=SOURCE, synthetic=True, today=today
        )
        await population_queries.insert_cells(conn, made.cells, SOURCE, True)
        places = await import_facilities(
            conn,
            Table("synthetic", made.facilities, None),
            locate=locate,
            source=SOURCE,
            synthetic=True,
            today=today,
        )
    return {
        "division": code,
        "name": version["name"],
        "seed": seed,
        "year": year,
        "divisions": len(codes),
        "populations": people.created + people.updated,
        "cells": len(made.cells),
        "facilities": places.created + places.updated,
        "replaced_facilities": removed,
        "source": SOURCE,
    }
