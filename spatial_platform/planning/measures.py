"""Entry points shared by the API and the CLI: parse the date, load the area, measure off the loop."""

from __future__ import annotations

import asyncio
from datetime import date

import asyncpg

from boundaries import CoveredPeriod, check_code
from spatial_platform.planning import service
from spatial_platform.planning.context import Options, load_context

FIRST_DATE = date(1981, 1, 1)


def parse_at(at: str | None, today: date | None = None) -> date:
    """Parse YYYY / YYYY-MM / YYYY-MM-DD like the division API (default today)."""
    return CoveredPeriod(FIRST_DATE, today or date.today()).parse(at)


async def _context(conn: asyncpg.Connection, division: str, at: str | None, options: Options, today=None):
    """Load the planning context for a division code and raw date."""
    return await load_context(conn, check_code(division, "division"), parse_at(at, today), options)


async def coverage_for(conn: asyncpg.Connection, division: str, at: str | None, options: Options) -> dict:
    """Coverage within the radius per division."""
    ctx = await _context(conn, division, at, options)
    return await asyncio.to_thread(service.measure_coverage, ctx)


async def beds_for(
    conn: asyncpg.Connection, division: str, at: str | None, options: Options, target: float
) -> dict:
    """Beds per 1,000 older residents against a target."""
    ctx = await _context(conn, division, at, options)
    return await asyncio.to_thread(service.measure_beds, ctx, target)


async def access_for(
    conn: asyncpg.Connection,
    division: str,
    at: str | None,
    options: Options,
    decay: str = "none",
    sigma: float | None = None,
    per: str = "division",
    max_cells: int = 20_000,
) -> dict:
    """2SFCA accessibility per division or grid point."""
    ctx = await _context(conn, division, at, options)
    return await asyncio.to_thread(service.measure_access, ctx, decay, sigma, per, max_cells)


async def sites_for(
    conn: asyncpg.Connection, division: str, at: str | None, options: Options, **params
) -> dict:
    """Site suggestion (MCLP or p-median)."""
    ctx = await _context(conn, division, at, options)
    return await asyncio.to_thread(lambda: service.suggest_sites(ctx, **params))


async def planning_map(
    conn: asyncpg.Connection,
    division: str,
    at: str | None,
    radius: float = 1000.0,
    suggest: int = 5,
    band: str = "60+",
) -> str:
    """Return the folium HTML page for a division at a date (with ``suggest`` MCLP sites, 0 for none)."""
    from spatial_platform.planning import maps

    ctx = await _context(conn, division, at, Options(band=band, radius=radius))

    def draw() -> str:
        sites = None
        if suggest > 0 and not ctx.demand.empty:
            sites = service.suggest_sites(ctx, "mclp", suggest)["sites"]
        return maps.render(ctx, sites)

    return await asyncio.to_thread(draw)
