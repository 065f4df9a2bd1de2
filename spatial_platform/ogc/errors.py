"""Errors of the OGC API layer and their HTTP status (the app merges the table)."""

from __future__ import annotations


class OgcError(Exception):
    """Base class of the OGC API's own errors."""

    field: str | None = None


class BadParameter(OgcError):
    """A query parameter the standard defines was malformed (OGC answers 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(OgcError):
    """No such collection or feature."""


STATUS: dict[type[Exception], int] = {BadParameter: 400, NotFound: 404, OgcError: 400}
"""HTTP status of each error class."""
