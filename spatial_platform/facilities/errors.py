"""Domain errors of facilities, populations and planning; the app maps each class to an HTTP status."""

from __future__ import annotations


class CivilAffairsError(Exception):
    """Base class of every error the facilities, populations and planning modules raise on purpose."""

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
    """Data the request needs is not loaded (boundaries, populations …); the message says which."""


class ProblemTooLarge(CivilAffairsError):
    """A site-suggestion problem exceeds the configured size; ``field`` names what to reduce."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
