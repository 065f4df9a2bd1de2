"""Points on grids inside polygons (metric CRS): demand spread over areas, candidate sites, samples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely


def grid_in_polygon(polygon, spacing: float) -> np.ndarray:
    """Return the centres of a ``spacing``-metre grid (aligned to multiples of spacing) inside ``polygon``."""
    minx, miny, maxx, maxy = polygon.bounds
    xs = (np.arange(math.floor(minx / spacing), math.ceil(maxx / spacing)) + 0.5) * spacing
    ys = (np.arange(math.floor(miny / spacing), math.ceil(maxy / spacing)) + 0.5) * spacing
    if len(xs) == 0 or len(ys) == 0:
        return np.empty((0, 2))
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    shapely.prepare(polygon)
    inside = shapely.contains_xy(polygon, gx, gy)
    return np.column_stack([gx[inside], gy[inside]])


def spacing_for(area_m2: float, max_points: int, minimum: float) -> float:
    """Return the finest spacing ≥ ``minimum`` that keeps about ``max_points`` points over ``area_m2``."""
    needed = math.sqrt(area_m2 / max_points) if max_points > 0 else minimum
    return float(max(minimum, math.ceil(needed / 10) * 10))


def spread_counts(polygons, codes, counts, spacing: float) -> pd.DataFrame:
    """Spread each division's count evenly over grid points inside its polygon (x, y, weight, division).

    A polygon too small to hold a grid point gets its count at its representative point.
    """
    parts = []
    for polygon, code, count in zip(polygons, codes, counts, strict=True):
        if not count or polygon is None or polygon.is_empty:
            continue
        xy = grid_in_polygon(polygon, spacing)
        if len(xy) == 0:
            point = polygon.representative_point()
            xy = np.array([[point.x, point.y]])
        frame = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
        frame["weight"] = float(count) / len(xy)
        frame["division"] = code
        parts.append(frame)
    if not parts:
        return pd.DataFrame({"x": [], "y": [], "weight": [], "division": []})
    return pd.concat(parts, ignore_index=True)


def candidate_grid(area, max_candidates: int, spacing: float | None = None) -> tuple[np.ndarray, float]:
    """Return at most ``max_candidates`` grid points inside ``area`` and the spacing used."""
    step = spacing_for(area.area, max_candidates, spacing or 10.0)
    while True:
        xy = grid_in_polygon(area, step)
        if len(xy) <= max_candidates:
            return xy, step
        step = math.ceil(step * 1.1 / 10) * 10


def random_points_in(polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` points drawn uniformly inside ``polygon`` (rejection sampling in its bounds)."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    out = np.empty((0, 2))
    while len(out) < n:
        want = max(2 * (n - len(out)), 16)
        x, y = rng.uniform(minx, maxx, want), rng.uniform(miny, maxy, want)
        inside = shapely.contains_xy(polygon, x, y)
        out = np.vstack([out, np.column_stack([x[inside], y[inside]])])
    return out[:n]
