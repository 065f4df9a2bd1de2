"""A local metric CRS for straight-line distances in metres around an area of interest."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer

WGS84 = CRS.from_epsg(4326)


def local_crs(lon: float, lat: float = 0.0) -> CRS:
    """Return a transverse Mercator CRS centred on ``lon`` (scale error < 0.1% within 250 km)."""
    meridian = round(float(lon), 2)
    return CRS.from_proj4(
        f"+proj=tmerc +lat_0=0 +lon_0={meridian} +k=1 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    )


def crs_for_bounds(bounds: tuple[float, float, float, float]) -> CRS:
    """Return the local CRS for a WGS-84 bounding box (minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = bounds
    return local_crs((minx + maxx) / 2, (miny + maxy) / 2)


@lru_cache(maxsize=64)
def _transformer(source: str, target: str) -> Transformer:
    """Return a cached transformer between two CRS given by their definitions (building one is slow)."""
    return Transformer.from_crs(CRS.from_user_input(source), CRS.from_user_input(target), always_xy=True)


def transformer(source: CRS, target: CRS) -> Transformer:
    """Return the (cached) lon/lat-ordered transformer from ``source`` to ``target``."""
    return _transformer(source.srs, target.srs)


def to_metric(lon, lat, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS-84 longitude/latitude arrays to metres in ``crs``."""
    x, y = transformer(WGS84, crs).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_wgs84(x, y, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Project metric arrays in ``crs`` back to WGS-84 longitude/latitude."""
    lon, lat = transformer(crs, WGS84).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def describe(crs: CRS) -> str:
    """Return the PROJ string that reproduces ``crs`` (recorded in every measure's inputs)."""
    return crs.srs


def geometries_to(geoms, source: CRS, target: CRS) -> np.ndarray:
    """Reproject an array of shapely geometries from ``source`` to ``target``."""
    import shapely

    move_xy = transformer(source, target)

    def move(coords: np.ndarray) -> np.ndarray:
        x, y = move_xy.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), move)


def expand(bounds: tuple[float, float, float, float], metres: float) -> tuple[float, float, float, float]:
    """Grow a WGS-84 bounding box by ``metres`` on every side (a little more, never less)."""
    minx, miny, maxx, maxy = bounds
    lat = max(abs(miny), abs(maxy))
    dy = metres / 110_000
    dx = metres / (110_000 * max(np.cos(np.radians(min(lat, 89))), 0.01))
    return minx - dx, miny - dy, maxx + dx, maxy + dy
