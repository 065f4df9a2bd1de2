"""The collections the OGC API offers and what each one's features carry (pure)."""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("province", "prefecture", "county", "town", "village")


@dataclass(frozen=True)
class Collection:
    """One feature collection: which rows it serves and which properties can filter it."""

    id: str
    title: str
    description: str
    kind: str  # "divisions", "facilities", "placenames" or "population"
    levels: tuple[str, ...] = ()
    filters: tuple[str, ...] = ("code", "name", "parent")
    geometry: str = "MultiPolygon"


_PLURAL = {"province": "provinces", "prefecture": "prefectures", "county": "counties", "town": "towns",
           "village": "villages"}  # fmt: skip
_TITLES = {
    "province": "省级 Provinces",
    "prefecture": "地级 Prefectures",
    "county": "县级 Counties",
    "town": "乡级 Towns (statistical codes, 2016-2023)",
    "village": "村级 Villages (statistical codes)",
}

COLLECTIONS: dict[str, Collection] = {
    "divisions": Collection(
        "divisions",
        "行政区划 Administrative divisions (all levels)",
        "Every division version (GB/T 2260 codes since 1981; towns and villages of the statistical "
        "vintages) with its valid period and, where known, its boundary and its provenance "
        "(surveyed or derived). `datetime` matches the valid period; without it, the register today.",
        "divisions",
        LEVELS,
        ("code", "name", "level", "parent"),
    ),
    **{
        _PLURAL[level]: Collection(
            _PLURAL[level],
            _TITLES[level],
            f"The {level} level of the divisions collection.",
            "divisions",
            (level,),
        )
        for level in LEVELS
    },
    "facilities": Collection(
        "facilities",
        "民政设施 Civil-affairs facilities",
        "Elderly-care homes, welfare homes, community stations and the like, open during `datetime` "
        "(demo data is flagged `synthetic`).",
        "facilities",
        (),
        ("name", "kind", "county_code"),
        "Point",
    ),
    "placenames": Collection(
        "placenames",
        "地名 Place names",
        "Every published version of a registered place name, public from the day it was published "
        "until its next version was published or the record retired; `datetime` matches that period. "
        "Records without a location of their own have a null geometry.",
        "placenames",
        (),
        ("name", "category", "code"),
        "Geometry",
    ),
    "population": Collection(
        "population",
        "人口 Population by county and year",
        "County population counts by age band (total, 60+, 65+, 80+) with the county's boundary: at an "
        "instant (default today) each county's latest year up to it, over an interval every year that "
        "overlaps it (demo data is flagged `synthetic`).",
        "population",
        (),
        ("code", "year"),
    ),
}


def queryables(collection: Collection, url: str) -> dict:
    """The JSON Schema of a collection's queryable properties."""
    if collection.kind == "divisions":
        props = {
            "code": {"type": "string", "description": "GB/T 2260 or statistical code"},
            "name": {"type": "string"},
            "parent": {"type": "string", "description": "code of the parent division"},
        }
        if len(collection.levels) > 1:
            props["level"] = {"type": "string", "enum": list(collection.levels)}
    else:
        props = {name: {"type": "integer" if name == "year" else "string"} for name in collection.filters}
    props["geometry"] = {"$ref": f"https://geojson.org/schema/{collection.geometry}.json"}
    props["datetime"] = {
        "type": "string",
        "format": "date",
        "description": "matched against the valid period",
    }
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "type": "object",
        "title": collection.title,
        "properties": props,
        "additionalProperties": False,
    }
