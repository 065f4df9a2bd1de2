"""One table from domain exception to HTTP status, and the handlers that apply it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from boundaries.errors import (
    BatchTooLarge,
    BoundariesError,
    DivisionNotFound,
    InvalidInput,
    SourceDataError,
)

STATUS_CODES: dict[type[Exception], int] = {
    InvalidInput: 422,
    DivisionNotFound: 404,
    BatchTooLarge: 413,
    SourceDataError: 500,
    BoundariesError: 400,
}


def status_for(exc: Exception) -> int:
    """Return the status of the most specific class in the table that ``exc`` is."""
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return 500


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    """Render a domain error as ``{"detail": message, "field": name}``."""
    body = {"detail": str(exc)}
    if field := getattr(exc, "field", None):
        body["field"] = field
    return JSONResponse(body, status_code=status_for(exc))


def add_exception_handlers(app: FastAPI) -> None:
    """Register the handler for every domain error class in the table."""
    for cls in STATUS_CODES:
        app.add_exception_handler(cls, _handle)
