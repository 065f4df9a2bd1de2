"""Request and response shapes of recorded division changes, as OpenAPI shows them (pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from boundaries.changes.document import KINDS

Kind = Literal[KINDS]  # type: ignore[valid-type]


class Document(BaseModel):
    """The approving document: 文号, the authority that issued it and its date."""

    number: str = Field(description="文号, e.g. 国函〔2025〕12号")
    authority: str = Field(description="Issuing authority, e.g. 国务院 or 湖南省人民政府")
    date: date


class StartIn(BaseModel):
    """A version the change opens."""

    code: str = Field(pattern=r"^\d{6}$")
    name: str
    level: Literal["province", "prefecture", "county"]
    parent: str | None = Field(None, description="Parent code (none for a province)")


class EdgeIn(BaseModel):
    """Area passing from one division to another."""

    from_: str = Field(alias="from")
    to: str
    relation: Literal["whole", "partial"] = "whole"


class BoundaryIn(BaseModel):
    """A new boundary of a division whose area changes."""

    code: str
    crs: str | None = Field(None, description="wgs84 (default), cgcs2000, gcj02 or bd09")
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon")


class ChangeDocument(BaseModel):
    """A division change as one event (the body of a draft, and the file the CLI reads)."""

    kind: Kind
    effective: date = Field(description="The date the change takes effect (may be ahead of today)")
    document: Document
    title: str
    text: str | None = None
    ends: list[str] = Field(default_factory=list, description="Codes whose version in force ends")
    starts: list[StartIn] = Field(default_factory=list)
    edges: list[EdgeIn] = Field(default_factory=list)
    boundaries: list[BoundaryIn] = Field(default_factory=list)
    corrects: int | None = Field(None, description="Id of the published change this one corrects")


class Problem(BaseModel):
    """One problem of a draft: the field it is in and why."""

    field: str
    reason: str


class ChangeOut(BaseModel):
    """A recorded change as staff see it."""

    id: int
    state: Literal["draft", "submitted", "published", "rejected"]
    kind: Kind
    effective: date
    codes: list[str]
    corrects: int | None
    corrected_by: int | None
    author: str
    author_role: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    reviewer: str | None
    reviewer_role: str | None
    reviewed_at: datetime | None
    comment: str | None
    feed_seq: int | None = Field(description="Its entry in GET /v1/changes once published")
    change: dict[str, Any] = Field(description="The document as drafted")
    problems: list[Problem]
    entry: dict[str, Any] | None = Field(None, description="The feed entry (on approval)")
    placenames: dict[str, int] | None = Field(
        None, description="Place-name records created, changed, retired"
    )


class ChangeList(BaseModel):
    """Changes by state and code, oldest first, one page of ``total``."""

    total: int
    offset: int
    count: int
    changes: list[ChangeOut]


class ReviewIn(BaseModel):
    """A reviewer's comment (required to reject)."""

    comment: str | None = None
