"""The vector-tile layers: which rows each zoom shows and the SQL that encodes a tile."""

from __future__ import annotations

from dataclasses import dataclass

from tile_server import layer_sql

SNAPPED_MAX_BAND = 8


@dataclass(frozen=True)
class Layer:
    """One tile layer: zoom range, fields for TileJSON and the SQL that renders a tile."""

    name: str
    description: str
    minzoom: int
    maxzoom: int
    fields: dict[str, str]
    sql: str
    version_keys: tuple[str, ...]
    epoch_sql: str | None = None

    def field_types(self) -> dict[str, str]:
        """TileJSON ``fields`` as GDAL and QGIS read them: each field's type (String, Number, Boolean)."""
        return {name: FIELD_TYPES.get(name, "String") for name in self.fields}

    def version_of(self, versions: dict[str, int]) -> int:
        """Return the layer's data version: the sum of its tables' versions, each only ever rising."""
        return sum(versions.get(key, 0) for key in self.version_keys)

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


def snapped(z: int) -> bool:
    """Say whether the zoom's band is snapped to the zoom's tile grid (bands 0-8, migration 0007)."""
    return division_band(z) == z <= SNAPPED_MAX_BAND


class DivisionLayer(Layer):
    """Divisions as polygons with code, name, level and how their geometry is known."""

    def zoom_args(self, z: int) -> tuple:
        """Return the band, the level and whether the band is on this zoom's grid."""
        return (division_band(z), division_level(z), snapped(z))


class CountyLayer(Layer):
    """Counties alone at every zoom, for county-level maps and choropleths."""

    def zoom_args(self, z: int) -> tuple:
        """Return the band for this zoom, the county level and whether the band is snapped."""
        return (division_band(z), "county", snapped(z))


def label_levels(z: int) -> list[str]:
    """Return the levels labelled at a zoom: each level from a little before its polygons are drawn."""
    if z <= 3:
        return ["province"]
    if z <= 6:
        return ["province", "prefecture"]
    if z <= 8:
        return ["prefecture", "county"]
    return ["county"]


class LabelLayer(Layer):
    """One label point per division: provinces, then prefectures, then counties as the zoom grows."""

    def zoom_args(self, z: int) -> tuple:
        """Return the levels labelled at this zoom."""
        return (label_levels(z),)


def placename_rank(z: int) -> int:
    """Return the lowest rank of place name drawn at a zoom (1 provinces ... 5 villages, 6 others)."""
    return 1 if z <= 4 else 2 if z <= 6 else 3 if z <= 8 else 4 if z <= 10 else 6


class PlacenameLayer(Layer):
    """Label points of published place names, more of them as the zoom grows."""

    def zoom_args(self, z: int) -> tuple:
        """Return the lowest rank drawn at this zoom."""
        return (placename_rank(z),)


FIELD_TYPES = {
    **dict.fromkeys(
        ("beds", "capacity", "year", "total", "aged_60", "aged_65", "aged_80", "share_60"), "Number"
    ),
    "synthetic": "Boolean",
}
"""Fields that are not text; every other field is a String."""

DIVISION_FIELDS = {
    "code": "GB/T 2260 code",
    "name": "Name at the date",
    "level": "province, prefecture or county",
    "kind": "how the geometry is known: surveyed, derived (from the lineage) or approximate "
    "(the nearest known area where the exact one is not known)",
}


def default_layers() -> dict[str, Layer]:
    """Return the layers this server knows, keyed by name."""
    division_epochs = layer_sql.ordered(layer_sql.DIVISION_EPOCHS)
    layers = (
        DivisionLayer(
            name="divisions",
            description="Administrative divisions as of the requested date: provinces at zoom 0-3, "
            "prefectures at 4-6, counties from 7.",
            minzoom=0,
            maxzoom=14,
            fields=DIVISION_FIELDS,
            sql=layer_sql.divisions("divisions"),
            version_keys=("divisions",),
            epoch_sql=division_epochs,
        ),
        CountyLayer(
            name="counties",
            description="County-level divisions as of the requested date, at every zoom.",
            minzoom=0,
            maxzoom=14,
            fields=DIVISION_FIELDS,
            sql=layer_sql.divisions("counties"),
            version_keys=("divisions",),
            epoch_sql=division_epochs,
        ),
        LabelLayer(
            name="labels",
            description="One label point per division as of the requested date (the pole of "
            "inaccessibility of its largest part): provinces at zoom 0-6, prefectures at 4-8, counties "
            "from 7.",
            minzoom=0,
            maxzoom=14,
            fields=DIVISION_FIELDS,
            sql=layer_sql.DIVISION_LABELS,
            version_keys=("divisions",),
            epoch_sql=division_epochs,
        ),
        PlacenameLayer(
            name="placenames",
            description="Published place names with a location, as published on the requested date: "
            "provinces from zoom 0, prefectures from 5, counties from 7, towns from 9, villages and "
            "other names from 11.",
            minzoom=0,
            maxzoom=14,
            fields={
                "name": "Standard name",
                "pinyin": "Name in Hanyu Pinyin",
                "category": "Category of place name",
                "level": "Division level, when the name is a division's",
                "code": "Division code (12-digit for towns and villages) or the enclosing county's",
            },
            sql=layer_sql.PLACENAMES,
            version_keys=("placenames",),
            epoch_sql=layer_sql.ordered(layer_sql.PLACENAME_EPOCHS),
        ),
        Layer(
            name="facilities",
            description="Civil-affairs facilities open on the requested date (synthetic ones are marked so).",
            minzoom=6,
            maxzoom=14,
            fields={
                "name": "Facility name",
                "kind": "elderly_care_institution, community_elderly_care, extreme_poverty_support, "
                "child_welfare or relief_station",
                "beds": "Beds",
                "capacity": "Places (non-residential)",
                "operator": "Operator",
                "county_code": "County the facility lies in",
                "synthetic": "true for generated demonstration data",
            },
            sql=layer_sql.FACILITIES,
            version_keys=("facilities",),
            epoch_sql=layer_sql.ordered(layer_sql.FACILITY_EPOCHS),
        ),
        CountyLayer(
            name="population",
            description="Counties as of the requested date with the population of the latest year "
            "up to it, by age band, for choropleths.",
            minzoom=0,
            maxzoom=14,
            fields={
                **DIVISION_FIELDS,
                "year": "Year of the counts",
                "total": "Population",
                "aged_60": "Aged 60 and over",
                "aged_65": "Aged 65 and over",
                "aged_80": "Aged 80 and over",
                "share_60": "Share aged 60 and over (0-1)",
                "synthetic": "true for generated demonstration data",
            },
            sql=layer_sql.POPULATION,
            version_keys=("divisions", "population"),
            epoch_sql=layer_sql.ordered(layer_sql.POPULATION_EPOCHS),
        ),
    )
    return {layer.name: layer for layer in layers}
