"""Request and response shapes of the audit endpoint (pydantic, shown in OpenAPI)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["valid", "name_mismatch", "not_in_use", "never_existed", "malformed"]


class AuditRow(BaseModel):
    """One row of the table being checked."""

    code: str = Field(examples=["430122"])
    name: str | None = Field(
        None, examples=["望城县"], description="Checked against the official name if given."
    )
    date: str | None = Field(
        None, examples=["2015"], description="YYYY, YYYY-MM or YYYY-MM-DD; default `at`."
    )


class AuditRequest(BaseModel):
    """A table of codes (with names and dates) from another system."""

    rows: list[AuditRow]


class VersionOut(BaseModel):
    """A version of the code nearest to the row's date."""

    code: str
    name: str
    valid_from: date
    valid_to: date | None = Field(description="Exclusive end; null while in force today.")


class TodayCode(BaseModel):
    """A code in force today covering (whole or part of) the area."""

    code: str
    name: str
    relation: Literal["whole", "partial"]


class AuditRowResult(BaseModel):
    """The verdict on one row, in input order."""

    row: int
    code: str | None
    name: str | None
    date: str | None
    at: date | None = Field(description="The date checked (null when the row's date is malformed).")
    status: Status
    official_name: str | None
    field: str | None = Field(description="For a malformed row: the field at fault.")
    note: str | None
    before: VersionOut | None = Field(description="not_in_use: the nearest version before the date.")
    after: VersionOut | None = Field(description="not_in_use: the nearest version after the date.")
    successors: list[TodayCode] = Field(description="not_in_use: today's codes, as resolve gives them.")


class AuditSummary(BaseModel):
    """Rows of each status."""

    rows: int
    at: date
    valid: int
    name_mismatch: int
    not_in_use: int
    never_existed: int
    malformed: int


class AuditResponse(BaseModel):
    """Every row's verdict and the counts."""

    summary: AuditSummary
    results: list[AuditRowResult]
