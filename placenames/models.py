"""Vocabularies of the register and the request/response shapes shown in OpenAPI (pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

# GB/T 18521 place-name categories the register keeps (key → Chinese term).
CATEGORIES = {
    "administrative_division": "行政区划",
    "village_committee": "村民委员会、居民委员会",
    "residential_area": "居民点",
    "road_street": "道路街巷",
    "bridge": "桥梁",
    "transport_facility": "交通运输设施",
    "water_facility": "水利设施",
    "river_lake": "河流湖泊",
    "mountain": "山",
    "memorial_scenic": "纪念地、旅游胜地",
    "public_building": "公共建筑",
}
STATES = ("draft", "submitted", "published", "retired")
ROLES = ("public", "editor", "reviewer", "admin", "service")
STAFF = ("editor", "reviewer", "admin")
REVIEWERS = ("reviewer", "admin")
LEVELS = ("province", "prefecture", "county", "town", "village")
CONTENT_FIELDS = (
    "name",
    "pinyin",
    "syllables",
    "category",
    "division_code",
    "parent_code",
    "code",
    "level",
    "geometry",
    "meaning",
    "origin",
    "former_names",
    "aliases",
)
EDITABLE_FIELDS = tuple(f for f in CONTENT_FIELDS if f not in ("syllables", "level"))

Category = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]
State = Literal["draft", "submitted", "published", "retired"]


class OtherName(BaseModel):
    """A former name or alias and the period it was used (YYYY, YYYY-MM or YYYY-MM-DD)."""

    name: str
    start: str | None = Field(None, alias="from")
    end: str | None = Field(None, alias="to", description="Exclusive end; null while still in use.")
    note: str | None = None


class PlacenameIn(BaseModel):
    """A new record (POST) or the fields to change (PATCH, with a ``reason``)."""

    name: str = Field(max_length=50, description="Standard name; no control characters.")
    pinyin: str | None = Field(None, description="Place-name pinyin; computed from the name when left out.")
    category: Category
    division_code: str = Field(description="Six-digit code of the county the place lies in.")
    parent_code: str | None = Field(None, description="Parent division (6, 9 or 12 digits).")
    code: str | None = Field(None, description="Official division code when the place is a division.")
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON geometry in WGS 84.")
    meaning: str | None = Field(None, description="含义")
    origin: str | None = Field(None, description="来历")
    former_names: list[OtherName] = []
    aliases: list[OtherName] = []
    reason: str | None = Field(None, description="Why the change is made (required on PATCH).")


class Placename(BaseModel):
    """A record as one version has it, with its lifecycle state and division path."""

    id: int
    version: int
    state: State
    name: str
    pinyin: str
    category: Category
    division_code: str
    parent_code: str | None
    code: str | None
    level: str | None
    geometry: dict[str, Any] | None
    meaning: str | None
    origin: str | None
    former_names: list[OtherName]
    aliases: list[OtherName]
    division_path: list[str]
    published_version: int | None
    head_version: int = Field(description="The record's latest version (drafts included)")
    syllables: str | None = None
    action: str = Field(description="What made this version: create, update, submit, approve, …")
    reason: str | None = None
    created_at: datetime = Field(description="When this version was made")
    author: str | None = Field(None, description="Who made it (staff only)")
    author_role: str | None = None


class VersionOut(BaseModel):
    """One entry of a record's history: who changed what, when and why (the author's name for staff)."""

    version: int
    status: State
    action: str
    author: str | None = Field(None, description="The author's user name; shown to staff only.")
    author_role: str
    created_at: datetime
    reason: str | None
    name: str


class History(BaseModel):
    """Every version of a record, oldest first."""

    id: int
    versions: list[VersionOut]


class Change(BaseModel):
    """One field that differs between two versions."""

    field: str
    old: Any
    new: Any


class Comparison(BaseModel):
    """The fields that differ between two versions of a record."""

    id: int
    old_version: int
    new_version: int
    changes: list[Change]


class SearchHit(BaseModel):
    """A published record matching a query, with how it matched."""

    id: int
    version: int = Field(description="The published version (the record's ETag for the public).")
    name: str
    pinyin: str
    category: Category
    level: str | None
    code: str | None
    division_code: str
    division_path: str
    match: Literal["exact", "prefix", "contains", "other_name", "other_suffix", "fuzzy_pinyin", "similar"] = (
        Field(
            description="How the name matched: exactly, as a prefix, as a substring, by a former name or "
            "alias, with another administrative suffix (岳麓县 → 岳麓区), with sounds people confuse in "
            "pinyin (z/zh, c/ch, s/sh, n/l, an/ang, en/eng, in/ing), or by sound or a typo"
        )
    )
    location: list[float] | None = Field(
        None, description="[lon, lat] (WGS 84): the record's point, or its division's label point"
    )
    bbox: list[float] | None = Field(
        None, description="[west, south, east, north] of the record's geometry or its division's boundary"
    )


class SearchResults(BaseModel):
    """Ranked matches: exact, then prefix, then higher administrative level, then the rest."""

    query: str
    count: int
    results: list[SearchHit]


class ImportReport(BaseModel):
    """What an import did (or, with dry_run, would do)."""

    rows: int
    created: int
    dry_run: bool
    ids: list[int]
