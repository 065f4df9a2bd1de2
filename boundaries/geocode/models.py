"""Response and request shapes of forward geocoding (pydantic, shown in OpenAPI)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

from boundaries.history.models import ResolveError

Matched = Literal["full", "short", "other_suffix", "other_date", "inferred"]


class AddressDivision(BaseModel):
    """A division the address lay in on the date, and how it was written.

    ``matched``: ``full`` name, ``short`` (no suffix: 长沙), ``other_suffix`` (长沙区 for 长沙市),
    ``other_date`` (a name not in force then: 襄樊市 in 2015; ``notes`` say which), ``inferred``
    (not written: filled in from the level below).
    """

    code: str
    name: str
    matched: Matched
    written: str | None


class PathStep(BaseModel):
    """One division of an alternative reading, province first."""

    code: str
    name: str
    level: Literal["province", "prefecture", "county", "town"]


class Alternative(BaseModel):
    """Another reading of an ambiguous address, as good as the one given."""

    code: str
    name: str
    level: Literal["province", "prefecture", "county", "town"]
    path: list[PathStep]


class GeocodeAnswer(BaseModel):
    """The divisions an address lay in on ``at``, down to the deepest level it names.

    ``status``: ``found``; ``ambiguous`` (``alternatives`` read it as well; the confidence is
    shared among them); ``not_found`` (no division name in it). ``rest`` is what follows the
    deepest division (street, number), normalised (simplified characters, ASCII digits, no spaces).
    """

    address: str
    at: date
    status: Literal["found", "ambiguous", "not_found"]
    level: Literal["province", "prefecture", "county", "town", "village"] | None
    code: str | None
    province: AddressDivision | None
    prefecture: AddressDivision | None
    county: AddressDivision | None
    town: AddressDivision | None
    village: AddressDivision | None
    confidence: float
    rest: str
    alternatives: list[Alternative]
    notes: list[str]


class AddressRequestItem(BaseModel):
    """One address of a batch, with its own date (else the batch's) and the caller's id."""

    address: str
    at: str | None = None
    id: str | int | None = None


class GeocodeBatchRequest(BaseModel):
    """Up to the configured limit (100,000 by default) of addresses; ``at`` applies to items without one."""

    items: list[AddressRequestItem]
    at: str | None = None


class GeocodeResult(BaseModel):
    """The answer for one address, in input order; ``line`` is the CSV line; ``invalid`` has ``error``."""

    index: int
    id: str | int | None = None
    line: int | None = None
    address: str | None
    at: date | None = None
    status: Literal["found", "ambiguous", "not_found", "invalid"]
    level: Literal["province", "prefecture", "county", "town", "village"] | None = None
    code: str | None = None
    province: AddressDivision | None = None
    prefecture: AddressDivision | None = None
    county: AddressDivision | None = None
    town: AddressDivision | None = None
    village: AddressDivision | None = None
    confidence: float | None = None
    rest: str | None = None
    alternatives: list[Alternative] = []
    notes: list[str] = []
    error: ResolveError | None = None


class GeocodeBatchAnswer(BaseModel):
    """Answers for a whole batch with counts per status."""

    count: int
    found: int
    ambiguous: int
    not_found: int
    invalid: int
    results: list[GeocodeResult]
