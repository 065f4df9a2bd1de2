"""Request and response shapes of the boundary API (pydantic, shown in OpenAPI)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

Crs = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]


class BoundaryUploadRequest(BaseModel):
    """A boundary adjustment: the new boundary, the date it takes effect, its CRS and why."""

    geometry: dict[str, Any] = Field(
        description="GeoJSON Polygon or MultiPolygon (or a Feature holding one)."
    )
    effective: date = Field(description="First day the new boundary applies (YYYY-MM-DD).")
    crs: Crs = Field("wgs84", description="CRS of the coordinates; CGCS2000 is taken as WGS 84.")
    reason: str = Field(description="Why the boundary changed, e.g. the approving document.")


class BoundaryProperties(BaseModel):
    """Who and what a boundary is, where it came from and when it applies."""

    code: str
    name: str
    level: str
    kind: Literal["surveyed", "derived", "approximate"] = Field(
        description="surveyed (from the source), derived (through the lineage) or approximate (the "
        "nearest known area of the same code where the exact one is unknown; ``reason`` says why)"
    )
    source: str
    vintage: str | None
    method: str | None
    reason: str | None
    valid_from: date
    valid_to: date | None = Field(description="Exclusive end; null while in force today.")
    crs: Crs


class BoundaryFeature(BaseModel):
    """A division's boundary at a date as a GeoJSON Feature."""

    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: BoundaryProperties


class BoundaryProposal(BaseModel):
    """A proposed boundary adjustment or withdrawal and its review."""

    id: int
    code: str
    action: Literal["adjust", "withdraw"]
    effective: date | None = Field(description="First day the adjustment applies (adjustments).")
    crs: Crs | None = Field(description="CRS the geometry was sent in (adjustments).")
    method: str | None
    reason: str
    withdraws: int | None = Field(description="The published adjustment a withdrawal undoes.")
    state: Literal["submitted", "published", "rejected"]
    author: str
    author_role: str
    created_at: str
    reviewer: str | None
    reviewer_role: str | None
    reviewed_at: str | None
    comment: str | None
    geometry_id: int | None = Field(description="The boundary version publishing it opened.")
    withdrawn_by: int | None = Field(description="The published withdrawal that undid it.")
    geometry: dict[str, Any] | None = Field(None, description="WGS 84 GeoJSON (single proposal only).")


class BoundaryProposals(BaseModel):
    """A list of boundary proposals."""

    count: int
    proposals: list[BoundaryProposal]
