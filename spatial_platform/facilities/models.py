"""Facility kinds and the API shapes of facilities and imports (pydantic, shown in OpenAPI)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

KINDS: dict[str, str] = {
    "elderly_care_institution": "养老机构",
    "community_elderly_care": "社区养老服务中心/站",
    "extreme_poverty_support": "特困人员供养服务设施(敬老院)",
    "child_welfare": "儿童福利机构",
    "relief_station": "救助管理站",
}
"""Kind key → the civil-affairs name of the facility type."""

ELDERLY_KINDS = ("elderly_care_institution", "community_elderly_care", "extreme_poverty_support")
"""The kinds that serve older people (the default for every planning measure)."""

ALIASES: dict[str, str] = {
    **{key: key for key in KINDS},
    **{label: key for key, label in KINDS.items()},
    "养老院": "elderly_care_institution",
    "社会福利院": "elderly_care_institution",
    "社区养老服务中心": "community_elderly_care",
    "社区养老服务站": "community_elderly_care",
    "日间照料中心": "community_elderly_care",
    "敬老院": "extreme_poverty_support",
    "特困人员供养服务设施": "extreme_poverty_support",
    "儿童福利院": "child_welfare",
    "儿童福利机构": "child_welfare",
    "救助管理站": "relief_station",
}
"""Names accepted on import for each kind (the key, the label and common variants)."""

Kind = Literal[
    "elderly_care_institution",
    "community_elderly_care",
    "extreme_poverty_support",
    "child_welfare",
    "relief_station",
]


class Facility(BaseModel):
    """A facility with its derived division codes and the period it was open."""

    id: int
    external_id: str | None
    name: str
    kind: Kind
    kind_label: str
    lon: float
    lat: float
    beds: int | None
    capacity: int | None
    operator: str | None
    opened: date | None
    closed: date | None
    province_code: str | None
    prefecture_code: str | None
    county_code: str | None
    divisions_at: date
    source: str
    synthetic: bool


class FacilityList(BaseModel):
    """The facilities open at a date within a division."""

    division: str
    at: date
    total: int
    offset: int
    count: int
    facilities: list[Facility]


class ImportReport(BaseModel):
    """What an import did (or, with dry_run, would do)."""

    rows: int
    created: int
    updated: int
    dry_run: bool
