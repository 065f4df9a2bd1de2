"""Make any geometry a valid MultiPolygon, or nothing: for sources, uploads and derived areas."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def repair(geom: BaseGeometry | None) -> BaseGeometry | None:
    """Return a valid MultiPolygon (make_valid, keeping polygons only), or None if nothing is left."""
    if geom is None or geom.is_empty:
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            parts = shapely.get_parts(geom)
            parts = parts[np.isin(shapely.get_type_id(parts), _POLYGONAL)]
            geom = shapely.union_all(parts) if len(parts) else None
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            return None
        if not geom.is_valid:
            geom = geom.buffer(0)
    if geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    return geom if geom.geom_type == "MultiPolygon" and not geom.is_empty else None
