"""Response and request shapes of the division API (pydantic, shown in OpenAPI)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Level = Literal["province", "prefecture", "county"]
Precision = Literal["day", "year"]


class Division(BaseModel):
    """A division version: code and name with the period it was in force."""

    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: date
    valid_to: date | None = Field(description="Exclusive end; null while in force today.")
    from_precision: Precision
    to_precision: Precision | None
    status: Literal["current", "retired"]


class DivisionDetail(Division):
    """One division at a date, with its chain of ancestors (nearest first)."""

    at: date
    parents: list[Division]
    note: str | None = Field(None, description="For a town or village whose chain skips its county: why.")


class Via(BaseModel):
    """The county a town or village is resolved through (or, noted, a coarser division)."""

    code: str
    name: str
    level: str
    note: str | None = None


class Snapshot(BaseModel):
    """Every division in force at a date."""

    at: date
    count: int
    divisions: list[Division]


class EdgeOut(BaseModel):
    """Area passing from one version to another through a change event."""

    from_code: str
    from_name: str
    to_code: str
    to_name: str
    relation: Literal["whole", "partial"]
    doubtful: bool
    effective: date
    precision: Precision
    event_id: int
    kind: str
    doc_number: str | None


class Event(BaseModel):
    """A change event with its official document where the source gives it."""

    id: int
    year: int
    kind: str
    effective: date
    precision: Precision
    doc_number: str | None
    doc_date: date | None
    title: str | None
    description: str | None
    source: str
    old_codes: list[str]
    new_codes: list[str]


class History(BaseModel):
    """Every version of a code, the events that name it and the edges through it."""

    code: str
    versions: list[Division]
    events: list[Event]
    edges: list[EdgeOut]


class Successor(BaseModel):
    """A division in force today that covers (whole) or overlaps (partial) the old area."""

    code: str
    name: str
    level: str
    relation: Literal["whole", "partial"]
    chain: list[EdgeOut]


class Successors(BaseModel):
    """Today's divisions covering the area a code had at a date."""

    code: str
    name: str
    at: date
    level: str | None = None
    via: Via | None = Field(None, description="Set for a town or village: today's codes are its county's.")
    successors: list[Successor]


class ResolveItem(BaseModel):
    """One code to resolve, as of a date (YYYY, YYYY-MM or YYYY-MM-DD; default today)."""

    code: str
    at: str | None = None


class ResolveRequest(BaseModel):
    """A batch of codes to resolve; at most the configured limit (10,000 by default)."""

    items: list[ResolveItem]


class ResolvedCode(BaseModel):
    """A code in force today with whether it covers all or part of the old area."""

    code: str
    name: str
    relation: Literal["whole", "partial"]


class ResolveError(BaseModel):
    """Why one batch item could not be resolved."""

    field: str | None
    message: str


class ResolveResult(BaseModel):
    """The answer for one batch item, in input order."""

    index: int
    code: str | None
    at: date | None
    found: bool
    name: str | None = None
    level: str | None = None
    today: list[ResolvedCode] = []
    via: Via | None = Field(None, description="Set for a town or village: today's codes are its county's.")
    error: ResolveError | None = None


class ResolveResponse(BaseModel):
    """Answers for a whole batch."""

    count: int
    found: int
    results: list[ResolveResult]
