"""Division boundaries as GeoJSON: read one at a date in any CRS, and record boundary adjustments."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date

import asyncpg
import numpy as np
import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from boundaries import crs as crsmod
from boundaries.codes import check_code
from boundaries.errors import DivisionNotFound, GeometryNotFound, InvalidInput
from boundaries.geometry import queries as q
from boundaries.geometry.polygons import repair
from boundaries.history.service import LineageIndex, Node

UPLOAD = "upload"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_crs(value: str | None) -> str:
    """Return a CRS name or raise InvalidInput on field ``crs``."""
    try:
        return crsmod.check_crs(value)
    except ValueError as exc:
        raise InvalidInput("crs", str(exc)) from None


@dataclass(frozen=True)
class BoundaryUpload:
    """A checked boundary adjustment: WGS-84 geometry, effective date, the CRS sent and why."""

    geom: BaseGeometry
    effective: date
    crs: str
    reason: str
    repaired: bool


def _geometry(value) -> tuple[BaseGeometry, bool]:
    """Parse a GeoJSON Polygon/MultiPolygon (or a Feature holding one); return it and if it was repaired."""
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict):
        raise InvalidInput("geometry", "geometry must be a GeoJSON Polygon or MultiPolygon object")
    if value.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(
            "geometry.type", f"geometry type must be Polygon or MultiPolygon, got {value.get('type')!r}"
        )
    try:
        geom = shapely.from_geojson(orjson.dumps(value))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        raise InvalidInput(
            "geometry.coordinates", f"geometry coordinates are not valid GeoJSON: {exc}"
        ) from None
    if geom is None or geom.is_empty:
        raise InvalidInput("geometry.coordinates", "geometry has no coordinates")
    xy = shapely.get_coordinates(geom)
    if not np.isfinite(xy).all() or (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
        raise InvalidInput(
            "geometry.coordinates", "coordinates must be longitude -180..180, latitude -90..90"
        )
    fixed = repair(geom)
    if fixed is None:
        raise InvalidInput("geometry", "geometry has invalid rings that cannot be repaired into polygons")
    return fixed, not geom.is_valid


def parse_upload(body, today: date) -> BoundaryUpload:
    """Check an upload body {geometry, effective, crs?, reason}; raise InvalidInput naming the field."""
    if not isinstance(body, dict):
        raise InvalidInput("body", "body must be an object {geometry, effective, crs, reason}")
    effective = body.get("effective")
    if not isinstance(effective, str) or not _DAY.fullmatch(effective):
        raise InvalidInput("effective", f"effective must be a date YYYY-MM-DD, got {effective!r}")
    try:
        when = date.fromisoformat(effective)
    except ValueError:
        raise InvalidInput("effective", f"effective is not a real date: {effective!r}") from None
    if when > today:
        raise InvalidInput("effective", f"effective {when} is in the future (today is {today})")
    name = check_crs(body.get("crs"))
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("reason", "reason must say why the boundary changed (a non-empty string)")
    wgs, repaired = parse_geometry(body.get("geometry"), name)
    return BoundaryUpload(wgs, when, name, reason.strip(), repaired)


def parse_geometry(value, crs_name: str, field: str = "geometry") -> tuple[BaseGeometry, bool]:
    """Parse a GeoJSON (Multi)Polygon in ``crs_name`` into WGS 84; return it and whether it was repaired."""
    try:
        geom, repaired = _geometry(value)
    except InvalidInput as exc:
        raise InvalidInput(field + exc.field.removeprefix("geometry"), str(exc)) from None
    try:
        wgs = repair(crsmod.geometry_to_wgs84(geom, crs_name))
    except shapely.errors.GEOSException as exc:
        raise InvalidInput(field, f"geometry cannot be converted from {crs_name}: {exc}") from None
    if wgs is None:
        raise InvalidInput(field, f"geometry is not a valid polygon after conversion from {crs_name}")
    return wgs, repaired


def feature(row: asyncpg.Record, crs: str) -> bytes:
    """Render one geometry version as a GeoJSON Feature (coordinates in ``crs``) with its provenance."""
    geom = crsmod.geometry_from_wgs84(shapely.from_wkb(row["geom"]), crs)
    props = {
        k: row[k]
        for k in (
            "code",
            "name",
            "level",
            "kind",
            "source",
            "vintage",
            "method",
            "reason",
            "valid_from",
            "valid_to",
        )
    }
    props["crs"] = crs
    return b'{"type":"Feature","geometry":%s,"properties":%s}' % (
        shapely.to_geojson(geom).encode(),
        orjson.dumps(props),
    )


async def boundary_at(
    conn: asyncpg.Connection, index: LineageIndex, code: str, when: date, crs: str
) -> bytes:
    """Return the GeoJSON Feature of ``code``'s boundary in force on ``when``."""
    node = index.require(check_code(code), when)
    row = await q.geometry_at(conn, node.code, when)
    if row is None:
        why = await q.gap_reason(conn, node.code, when)
        raise GeometryNotFound(
            f"no boundary is known for {node.code} {node.name} on {when}" + (f": {why}" if why else "")
        )
    return await asyncio.to_thread(feature, row, crs)


def upload_method(upload: BoundaryUpload) -> str:
    """Say how an uploaded geometry was stored (its CRS, conversion and repairs)."""
    method = f"uploaded in {upload.crs}" + (
        "" if upload.crs in ("wgs84", "cgcs2000") else ", converted to WGS 84"
    )
    return method + (", invalid rings repaired" if upload.repaired else "")


async def check_adjustment(conn: asyncpg.Connection, index: LineageIndex, code: str, effective: date) -> Node:
    """Return the division version an adjustment of ``code`` from ``effective`` would apply to.

    Raises DivisionNotFound for an unknown code, InvalidInput (``effective``) when the code was
    not in use that day or the date is not after the start of the current boundary.
    """
    check_code(code)
    if not index.by_code.get(code):
        raise DivisionNotFound(f"division code {code} is not known in any year")
    node = index.version_at(code, effective)
    if node is None:
        raise InvalidInput("effective", f"division {code} was not in use on {effective}")
    latest = await q.latest_geometry(conn, code)
    # An approximate boundary (the exact area was unknown) may be replaced from its own start.
    replaces = latest is not None and latest["kind"] == "approximate" and effective == latest["valid_from"]
    if latest is not None and effective <= latest["valid_from"] and not replaces:
        raise InvalidInput(
            "effective",
            f"effective {effective} must be after the start of the current boundary "
            f"of {code} ({latest['valid_from']})"
            + (", or on it, as that boundary is approximate" if latest["kind"] == "approximate" else ""),
        )
    return node


async def apply_adjustment(conn: asyncpg.Connection, index: LineageIndex, proposal: asyncpg.Record) -> int:
    """Close the boundary in force at the proposal's date and open the proposed one; return its id.

    Runs inside the caller's transaction, so a failure leaves both tables as they were.
    """
    code, effective = proposal["code"], proposal["effective"]
    node = await check_adjustment(conn, index, code, effective)
    latest = await q.latest_geometry(conn, code)
    if latest is not None and latest["kind"] == "approximate" and latest["valid_from"] == effective:
        await q.drop_geometry(conn, latest["id"])
    else:
        await q.close_geometry(conn, code, effective)
    row = {
        "version_id": node.id,
        "code": code,
        "valid_from": effective,
        "valid_to": node.valid_to,
        "geom": proposal["geom"],
        "kind": "surveyed",
        "source": UPLOAD,
        "vintage": effective.isoformat(),
        "method": proposal["method"],
        "reason": proposal["reason"],
    }
    geometry_id = await q.insert_geometry(conn, row)
    await q.link_geometry(conn, geometry_id, proposal["id"])
    return geometry_id
