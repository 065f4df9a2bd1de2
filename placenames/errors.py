"""Domain errors of the place-name register; the app maps each class to an HTTP status."""

from __future__ import annotations


class PlacenamesError(Exception):
    """Base class of every error this package raises on purpose."""

    field: str | None = None
    body: dict | None = None
    headers: dict[str, str] | None = None


class InvalidPlacename(PlacenamesError):
    """A value is malformed (empty, too long, control characters …); ``field`` names it."""

    def __init__(self, field: str, message: str, **extra) -> None:
        super().__init__(message)
        self.field = field
        self.body = extra or None


class ImportRejected(PlacenamesError):
    """An import had invalid rows; ``body`` lists every one with row, field and reason."""

    def __init__(self, errors: list[dict], total: int, count: int | None = None) -> None:
        count = len(errors) if count is None else count
        super().__init__(f"{count} invalid row(s) of {total}; nothing was imported")
        self.body = {"errors": errors, "invalid": count, "rows": total}


class RecordNotFound(PlacenamesError):
    """No place-name record (or version) has the requested id."""


class Unauthorized(PlacenamesError):
    """A write came without a valid API token."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(PlacenamesError):
    """The token's role may not do this (or a reviewer tried to approve their own work)."""


class PreconditionRequired(PlacenamesError):
    """A change was sent without If-Match."""

    field = "If-Match"


class VersionConflict(PlacenamesError):
    """If-Match names a stale version; nothing was written."""

    field = "If-Match"

    def __init__(self, record_id: int, sent: str, current: int) -> None:
        super().__init__(
            f"record {record_id} is at version {current}, not {sent}; reload it and apply your change again"
        )
        self.body = {"current_version": current}
        self.headers = {"ETag": f'"{current}"'}


class DuplicateName(PlacenamesError):
    """A published record already has this name and category under the same parent division."""

    field = "name"

    def __init__(self, name: str, existing: dict) -> None:
        super().__init__(
            f"{name} already exists as record {existing['id']} ({existing['category']}) "
            f"under division {existing['parent']}"
        )
        self.body = {"existing": existing}


class InvalidTransition(PlacenamesError):
    """The lifecycle does not allow this step from the record's current state."""

    field = "state"


class RateLimited(PlacenamesError):
    """Too many requests from one client; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"rate limit exceeded; retry after {retry_after} s")
        self.headers = {"Retry-After": str(retry_after), **(headers or {})}


class PayloadTooLarge(PlacenamesError):
    """An upload is bigger than the configured limit."""

    field = "body"


STATUS: dict[type[Exception], int] = {
    InvalidPlacename: 422,
    ImportRejected: 422,
    RecordNotFound: 404,
    Unauthorized: 401,
    Forbidden: 403,
    PreconditionRequired: 428,
    VersionConflict: 412,
    DuplicateName: 409,
    InvalidTransition: 409,
    RateLimited: 429,
    PayloadTooLarge: 413,
    PlacenamesError: 400,
}
"""HTTP status of each error class (the app answers the most specific class's)."""
