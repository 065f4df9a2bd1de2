"""Checks and normalisation of record content, shared by the API and bulk imports."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date

import shapely
from shapely.geometry import shape

from boundaries import check_code
from placenames.errors import InvalidPlacename
from placenames.models import CATEGORIES, CONTENT_FIELDS, EDITABLE_FIELDS
from placenames.pinyin import segment, spell

NAME_MAX = 50
TEXT_MAX = 4000
_DIVISION = re.compile(r"\d{6}(\d{3}(\d{3})?)?")
_PERIOD = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_PINYIN = re.compile(r"[A-Za-zÜü0-9()]+(['’ ·.-]+[A-Za-zÜü0-9()]+)*")
_GEOMETRIES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def check_name(value, field: str = "name", max_length: int = NAME_MAX) -> str:
    """Return a trimmed NFC name or raise: empty, over-long, control or invisible characters."""
    if not isinstance(value, str):
        raise InvalidPlacename(field, f"{field} must be a string")
    name = unicodedata.normalize("NFC", value.strip())
    if not name:
        raise InvalidPlacename(field, f"{field} must not be empty")
    for i, char in enumerate(name):
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise InvalidPlacename(
                field, f"{field} contains control character U+{ord(char):04X} at position {i + 1}"
            )
    if len(name) > max_length:
        raise InvalidPlacename(field, f"{field} is {len(name)} characters long; at most {max_length}")
    return name


def check_division(value, field: str) -> str:
    """Return a 6-, 9- or 12-digit division code or raise."""
    if not isinstance(value, str) or not _DIVISION.fullmatch(value):
        raise InvalidPlacename(field, f"{field} must be a 6-, 9- or 12-digit division code, got {value!r}")
    return value


def level_of(code: str | None) -> str | None:
    """Return the administrative level a division code's shape implies."""
    if code is None:
        return None
    if len(code) == 12:
        return "village"
    if len(code) == 9:
        return "town"
    if code.endswith("0000"):
        return "province"
    return "prefecture" if code.endswith("00") else "county"


def check_text(value, field: str, max_length: int = TEXT_MAX) -> str | None:
    """Return optional free text (meaning, origin), trimmed, or raise."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidPlacename(field, f"{field} must be a string")
    text = unicodedata.normalize("NFC", value.strip())
    bad = next((c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"), None)
    if bad is not None:
        raise InvalidPlacename(field, f"{field} contains control character U+{ord(bad):04X}")
    if len(text) > max_length:
        raise InvalidPlacename(field, f"{field} is {len(text)} characters long; at most {max_length}")
    return text or None


def _other_names(value, field: str, max_length: int) -> list[dict]:
    """Return a list of {name, from, to[, note]} or raise naming the item."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidPlacename(field, f"{field} must be a list of {{name, from, to}}")
    out = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            raise InvalidPlacename(where, f"{where} must be an object {{name, from, to}}")
        entry = {"name": check_name(item.get("name"), f"{where}.name", max_length)}
        for key in ("from", "to"):
            period = item.get(key)
            if period is not None and not _is_period(period):
                raise InvalidPlacename(f"{where}.{key}", f"{where}.{key} must be YYYY, YYYY-MM or YYYY-MM-DD")
            entry[key] = period
        if entry["from"] and entry["to"] and entry["to"] < entry["from"]:
            raise InvalidPlacename(f"{where}.to", f"{where} ends before it starts")
        if note := check_text(item.get("note"), f"{where}.note", 500):
            entry["note"] = note
        out.append(entry)
    return out


def _is_period(value) -> bool:
    """Tell whether ``value`` is a real date written YYYY, YYYY-MM or YYYY-MM-DD."""
    if not isinstance(value, str) or not _PERIOD.fullmatch(value):
        return False
    try:
        date.fromisoformat((value + "-01-01")[:10])
    except ValueError:
        return False
    return True


def check_geometry(value, field: str = "geometry") -> dict | None:
    """Return a valid GeoJSON point, line or polygon geometry in WGS 84, or raise."""
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in _GEOMETRIES:
        raise InvalidPlacename(field, f"{field} must be a GeoJSON {', '.join(sorted(_GEOMETRIES))}")
    try:
        geom = shape(value)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException) as exc:
        raise InvalidPlacename(field, f"{field} is not valid GeoJSON: {exc}") from None
    if geom.is_empty:
        raise InvalidPlacename(field, f"{field} is empty")
    minx, miny, maxx, maxy = geom.bounds
    if not all(map(math.isfinite, geom.bounds)) or minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InvalidPlacename(field, f"{field} lies outside WGS 84 longitude/latitude")
    if not geom.is_valid:
        raise InvalidPlacename(field, f"{field} is not a valid geometry: {shapely.is_valid_reason(geom)}")
    return shapely.geometry.mapping(geom)


def clean(data: dict, base: dict | None = None, name_max: int = NAME_MAX) -> dict:
    """Validate new content (``base`` None) or a change to ``base``; return the full content."""
    if not isinstance(data, dict):
        raise InvalidPlacename("body", "body must be a JSON object")
    unknown = sorted(set(data) - set(EDITABLE_FIELDS) - {"reason"})
    if unknown:
        raise InvalidPlacename(
            unknown[0], f"unknown field {unknown[0]!r}; editable: {', '.join(EDITABLE_FIELDS)}"
        )
    merged = {
        **dict.fromkeys(CONTENT_FIELDS),
        **(base or {}),
        **{k: v for k, v in data.items() if k != "reason"},
    }
    if base is None:
        for required in ("name", "category", "division_code"):
            if merged.get(required) is None:
                raise InvalidPlacename(required, f"{required} is required")
    out = dict(merged)
    out["name"] = check_name(merged["name"], max_length=name_max)
    if merged["category"] not in CATEGORIES:
        raise InvalidPlacename("category", f"category must be one of {', '.join(CATEGORIES)}")
    out["division_code"] = check_code(merged["division_code"], "division_code")
    for key in ("parent_code", "code"):
        out[key] = None if merged[key] in (None, "") else check_division(merged[key], key)
    out["level"] = level_of(out["code"])
    out["geometry"] = check_geometry(merged["geometry"])
    out["meaning"] = check_text(merged["meaning"], "meaning")
    out["origin"] = check_text(merged["origin"], "origin")
    out["former_names"] = _other_names(merged["former_names"], "former_names", name_max)
    out["aliases"] = _other_names(merged["aliases"], "aliases", name_max)
    _pinyin(out, data, base)
    return out


def _pinyin(out: dict, data: dict, base: dict | None) -> None:
    """Fill pinyin and syllables: computed from the name unless pinyin is given (then checked)."""
    given = data.get("pinyin")
    if given in (None, "") and base is not None and "name" not in data:
        return
    if given in (None, ""):
        out["pinyin"], out["syllables"] = spell(out["name"])
        return
    if not isinstance(given, str) or not _PINYIN.fullmatch(given.strip()) or len(given) > 200:
        raise InvalidPlacename("pinyin", "pinyin must be Latin letters in words (e.g. 'Yuelu Qu')")
    auto, syllables = spell(out["name"])
    out["pinyin"] = given.strip()
    if out["pinyin"] != auto:
        syllables = segment(out["pinyin"])
        if syllables is None:
            raise InvalidPlacename("pinyin", f"pinyin {given!r} cannot be split into Hanyu Pinyin syllables")
    out["syllables"] = syllables
