"""Response and request shapes of the division API (pydantic, shown in OpenAPI)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Level = Literal["province", "prefecture", "county"]
Precision = Literal["day", "year", "vintage"]
"""``vintage``: a town or village date between two statistical vintages' cut-offs (NBS gives no day)."""


class Recorded(BaseModel):
    """How far the record goes: every answer of the division API says it."""

    data_as_of: date | None = Field(
        description="The date through which changes are recorded (end of the last loaded table)."
    )
    beyond_record: bool = Field(
        description="True when the date asked is after data_as_of: answered from the latest record."
    )


class Spelling(BaseModel):
    """One spelling of a version's name and the statistical vintages that use it."""

    name: str
    vintages: list[int]
    current: bool


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
    spellings: list[Spelling] | None = Field(
        None, description="Towns and villages: each vintage's own spelling of the name, and which is current."
    )


class DivisionDetail(Division, Recorded):
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


class Snapshot(Recorded):
    """Every division in force at a date (or one page of them: ``limit`` and ``offset``)."""

    at: date
    total: int = Field(description="Divisions in force at the date, on every page")
    offset: int = 0
    count: int = Field(description="Divisions in this answer")
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
    inferred: bool = Field(False, description="Inferred from village membership between vintages.")
    evidence: list[str] | None = Field(None, description="Inferred edges: the village codes that moved.")


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


class History(Recorded):
    """Every version of a code, the events that name it and the edges through it."""

    code: str
    versions: list[Division]
    events: list[Event]
    edges: list[EdgeOut]


class StatisticalUnit(BaseModel):
    """A statistical county-level unit (not a GB/T 2260 division) over consecutive vintages."""

    code: str
    name: str
    within_code: str
    within_level: Literal["prefecture", "province"]
    valid_from: date
    valid_to: date | None
    from_precision: Precision
    to_precision: Precision | None
    first_year: int
    last_year: int
    towns: int


class StatisticalUnits(Recorded):
    """The statistical units in force at a date."""

    at: date
    count: int
    units: list[StatisticalUnit]


class Successor(BaseModel):
    """A division in force today that covers (whole) or overlaps (partial) the old area."""

    code: str
    name: str
    level: str
    relation: Literal["whole", "partial"]
    chain: list[EdgeOut]


class Successors(Recorded):
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
    beyond_record: bool = Field(False, description="The item's date is after data_as_of.")


class ResolveResponse(Recorded):
    """Answers for a whole batch."""

    count: int
    found: int
    results: list[ResolveResult]


class Document(BaseModel):
    """The document of a change event: 文号, date and title where the source gives them."""

    event_id: int
    kind: str
    effective: date
    doc_number: str | None
    doc_date: date | None
    title: str | None


class Change(BaseModel):
    """One change between two dates: the division as at ``to`` (as at ``from`` if retired)."""

    change: Literal["added", "retired", "renamed", "re-coded", "re-parented"]
    code: str
    name: str
    level: str
    parent_code: str | None
    old_code: str | None = Field(None, description="re-coded: the code before the code_change event.")
    old_name: str | None = None
    new_code: str | None = None
    new_name: str | None = None
    old_parent_code: str | None = Field(None, description="re-parented: the parent at from.")
    successors: list[ResolvedCode] = Field(description="retired: today's codes covering its area.")
    documents: list[Document]


class DiffCounts(BaseModel):
    """How many changes of each kind."""

    added: int
    retired: int
    renamed: int
    re_coded: int = Field(alias="re-coded")
    re_parented: int = Field(alias="re-parented")


class DiffEvent(BaseModel):
    """A change event between the two dates that touches the divisions compared."""

    id: int
    year: int
    kind: str
    effective: date
    precision: Precision
    doc_number: str | None
    doc_date: date | None
    title: str | None
    old_codes: list[str]
    new_codes: list[str]


class Diff(Recorded):
    """The divisions added, retired, renamed, re-coded and re-parented between two dates."""

    from_: date = Field(alias="from")
    to: date
    parent: str | None
    levels: list[Level]
    counts: DiffCounts
    changes: list[Change]
    events: list[DiffEvent]
