"""Domain errors of facilities and of the file uploads imports share; the app maps each to an HTTP status.

``CivilAffairsError`` is also the base of the populations and planning errors (their own
``errors`` modules), so one ``except`` still catches every civil-affairs error.
"""

from __future__ import annotations


class CivilAffairsError(Exception):
    """Base class of every error the facilities, populations and planning packages raise on purpose."""

    field: str | None = None
    body: dict | None = None


class InvalidParameter(CivilAffairsError):
    """A request value is malformed or out of range; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ImportRejected(CivilAffairsError):
    """An import had invalid rows; ``body`` lists every one with row, field and reason."""

    def __init__(self, errors: list[dict], total: int) -> None:
        super().__init__(f"{len(errors)} invalid row(s) of {total}; nothing was imported")
        self.errors = errors
        self.total = total
        self.body = {"errors": errors, "rows": total}


class UnreadableFile(CivilAffairsError):
    """An import file cannot be read as CSV, GeoJSON or GeoPackage."""

    field = "file"


class MissingData(CivilAffairsError):
    """Data the request needs is not loaded (boundaries …); the message says which."""


class ProblemTooLarge(CivilAffairsError):
    """An upload exceeds the configured size or row limit; ``field`` names what to reduce."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


STATUS: dict[type[Exception], int] = {
    InvalidParameter: 422,
    ImportRejected: 422,
    UnreadableFile: 422,
    MissingData: 409,
    ProblemTooLarge: 413,
    CivilAffairsError: 400,
}
"""HTTP status of each error class (the app answers the most specific class's)."""
