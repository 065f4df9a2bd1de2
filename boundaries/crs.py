"""Vectorised WGS-84 ↔ GCJ-02 ↔ BD-09 conversions (the public formulas) for arrays and shapely geometries.

GCJ-02 is WGS-84 plus an obfuscating offset of a few hundred metres applied inside a
rectangle around China; BD-09 is a further offset of GCJ-02. The forward formulas are the
widely published ones; the inverses iterate the forward formula to better than 1e-7 degree
(about 1 cm). CGCS2000 (EPSG:4490) is treated as equal to WGS 84 at this scale.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

CRS_NAMES = ("wgs84", "cgcs2000", "gcj02", "bd09")
_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_TOLERANCE = 1e-7  # degrees; the inverse iterations stop below this
_MAX_STEPS = 30
_DEDUPE_FROM = 100_000  # vertices; above this, distinct points are converted once
# The rectangle outside which GCJ-02 leaves coordinates unchanged (the generous common one,
# so that islands of the South China Sea down to 3.8° N are shifted like the mainland).
_LON_MIN, _LON_MAX, _LAT_MIN, _LAT_MAX = 72.004, 137.8347, 0.8293, 55.8271


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Return float64 copies of the inputs, broadcast to one shape."""
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return lon.copy(), lat.copy()


def in_china(lon, lat) -> np.ndarray:
    """Tell, per point, whether GCJ-02 shifts it (inside the rectangle around China)."""
    lon, lat = np.asarray(lon), np.asarray(lat)
    return (lon >= _LON_MIN) & (lon <= _LON_MAX) & (lat >= _LAT_MIN) & (lat <= _LAT_MAX)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the GCJ-02 offset (degrees) at WGS-84 points, zero outside China."""
    x, y = lon - 105.0, lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 longitudes and latitudes to GCJ-02."""
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def _invert(forward: Callable, lon: np.ndarray, lat: np.ndarray, start) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x) = (lon, lat) by fixed-point iteration from ``start``."""
    x, y = start
    for _ in range(_MAX_STEPS):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if np.all((np.abs(ex) < _TOLERANCE) & (np.abs(ey) < _TOLERANCE)):
            break
    return x, y


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 to WGS-84 by iterating the forward formula (error < 1e-7 degree)."""
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _offset(lon, lat)
    return _invert(wgs84_to_gcj02, lon, lat, (lon - dlon, lat - dlat))


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 to BD-09 (Baidu)."""
    lon, lat = _arrays(lon, lat)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 to GCJ-02: the published approximation refined by iteration."""
    lon, lat = _arrays(lon, lat)
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, lon, lat, (z * np.cos(theta), z * np.sin(theta)))


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 to WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _identity(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Return the coordinates unchanged (as float arrays)."""
    return _arrays(lon, lat)


_TO_WGS84 = {"wgs84": _identity, "cgcs2000": _identity, "gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"wgs84": _identity, "cgcs2000": _identity, "gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def check_crs(name: str | None) -> str:
    """Return a known CRS name (default wgs84) or raise ValueError listing the choices."""
    value = (name or "wgs84").strip().lower()
    if value not in CRS_NAMES:
        raise ValueError(f"crs must be one of {', '.join(CRS_NAMES)}, got {name!r}")
    return value


def to_wgs84(lon, lat, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates given in ``crs`` to WGS-84."""
    return _TO_WGS84[check_crs(crs)](lon, lat)


def from_wgs84(lon, lat, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 coordinates to ``crs``."""
    return _FROM_WGS84[check_crs(crs)](lon, lat)


def _on_geometries(geometry, convert: Callable):
    """Apply a (lon, lat) converter to every vertex of one shapely geometry or an array of them."""

    def apply(coords: np.ndarray) -> np.ndarray:
        if len(coords) < _DEDUPE_FROM:
            return np.column_stack(convert(coords[:, 0], coords[:, 1]))
        # shared borders repeat vertices: convert each distinct point once
        packed = np.ascontiguousarray(coords, dtype=np.float64).view(np.complex128).ravel()
        unique, inverse = np.unique(packed, return_inverse=True)
        lon, lat = convert(unique.real, unique.imag)
        return np.column_stack([lon, lat])[inverse.ravel()]

    return shapely.transform(geometry, apply)


def geometry_to_wgs84(geometry, crs: str):
    """Return shapely geometry (or array) given in ``crs`` converted to WGS-84."""
    name = check_crs(crs)
    return geometry if name in ("wgs84", "cgcs2000") else _on_geometries(geometry, _TO_WGS84[name])


def geometry_from_wgs84(geometry, crs: str):
    """Return WGS-84 shapely geometry (or array) converted to ``crs``."""
    name = check_crs(crs)
    return geometry if name in ("wgs84", "cgcs2000") else _on_geometries(geometry, _FROM_WGS84[name])
