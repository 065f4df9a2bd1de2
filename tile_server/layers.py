"""The vector-tile layers: which rows each zoom shows and the SQL that encodes a tile."""

from __future__ import annotations

from dataclasses import dataclass, field

EXTENT = 4096
BUFFER = 64


@dataclass(frozen=True)
class Layer:
    """One tile layer: zoom range, fields for TileJSON and the SQL that renders a tile."""

    name: str
    description: str
    minzoom: int
    maxzoom: int
    fields: dict[str, str]
    sql: str
    version_key: str
    epoch_sql: str | None = None
    params: tuple = field(default=())

    def args(self, z: int, x: int, y: int, when) -> tuple:
        """Return the bound parameters of the tile query."""
        return (z, x, y, when, *self.zoom_args(z))

    def zoom_args(self, z: int) -> tuple:
        """Return per-zoom parameters (band and levels) for layers that need them."""
        return ()


def division_level(z: int) -> str:
    """Return the level drawn at a zoom: provinces, then prefectures, then counties."""
    if z <= 3:
        return "province"
    if z <= 6:
        return "prefecture"
    return "county"


def division_band(z: int) -> int:
    """Return the generalisation band prepared for a zoom: one per zoom up to 12 (migration 0005)."""
    return min(z, 13)


class DivisionLayer(Layer):
    """Divisions as polygons with code, name, level and how their geometry is known."""

    def zoom_args(self, z: int) -> tuple:
        """Return the band and the level for this zoom."""
        return (division_band(z), division_level(z))


class CountyLayer(Layer):
    """Counties alone at every zoom, for county-level maps and choropleths."""

    def zoom_args(self, z: int) -> tuple:
        """Return the band for this zoom and the county level."""
        return (division_band(z), "county")


DIVISIONS_SQL = f"""
WITH env AS (SELECT ST_TileEnvelope($1, $2, $3) AS box,
                    ST_TileEnvelope($1, $2, $3, margin => {BUFFER / EXTENT}) AS reach),
hits AS MATERIALIZED (
    SELECT b.version_id, b.level, b.kind,
           ST_AsMVTGeom(b.geom, env.box, {EXTENT}, {BUFFER}, true) AS geom
    FROM env JOIN division_geometry_bands b
      ON b.band = $5::smallint AND b.level = $6::text AND b.valid @> $4::date AND b.geom && env.reach
)
SELECT ST_AsMVT(t, 'divisions', {EXTENT}, 'geom') FROM (
    SELECT v.code, v.name, h.level, h.kind, h.geom
    FROM hits h JOIN division_versions v ON v.id = h.version_id
    WHERE h.geom IS NOT NULL
) t
"""

DIVISION_EPOCHS_SQL = """
SELECT DISTINCT d FROM (
    SELECT valid_from AS d FROM division_geometries
    UNION ALL SELECT valid_to FROM division_geometries WHERE valid_to IS NOT NULL
    UNION ALL SELECT valid_from FROM division_versions WHERE level IN ('province', 'prefecture', 'county')
    UNION ALL SELECT valid_to FROM division_versions
        WHERE valid_to IS NOT NULL AND level IN ('province', 'prefecture', 'county')
) s ORDER BY d
"""


def default_layers() -> dict[str, Layer]:
    """Return the layers this server knows, keyed by name."""
    divisions = DivisionLayer(
        name="divisions",
        description="Administrative divisions as of the requested date: provinces at zoom 0-3, "
        "prefectures at 4-6, counties from 7.",
        minzoom=0,
        maxzoom=14,
        fields={
            "code": "GB/T 2260 code",
            "name": "Name at the date",
            "level": "province, prefecture or county",
            "kind": "surveyed or derived geometry",
        },
        sql=DIVISIONS_SQL,
        version_key="divisions",
        epoch_sql=DIVISION_EPOCHS_SQL,
    )
    counties = CountyLayer(
        name="counties",
        description="County-level divisions as of the requested date, at every zoom.",
        minzoom=0,
        maxzoom=14,
        fields=divisions.fields,
        sql=DIVISIONS_SQL.replace("'divisions'", "'counties'"),
        version_key="divisions",
        epoch_sql=DIVISION_EPOCHS_SQL,
    )
    return {layer.name: layer for layer in (divisions, counties)}
