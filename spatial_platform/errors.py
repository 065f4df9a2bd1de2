"""One table from domain exception to HTTP status (merged from each package's), and the handlers."""

from __future__ import annotations

import logging

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from boundaries import errors as boundaries_errors
from placenames import errors as placenames_errors
from spatial_platform.facilities import errors as facilities_errors
from spatial_platform.ogc import errors as ogc_errors
from spatial_platform.planning import errors as planning_errors
from spatial_platform.populations import errors as populations_errors
from tile_server import errors as tile_errors

log = logging.getLogger("spatial_platform")


class ServiceUnavailable(Exception):
    """The server cannot answer now (database down or busy, too many heavy requests); retry later."""

    field: str | None = None
    body: dict | None = None

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


# Errors of the database driver that mean "not now" rather than "wrong": the server is down,
# restarting, shut the connection, or a statement ran past statement_timeout.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    ConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.QueryCanceledError,
)

DOMAIN_ERRORS = (
    boundaries_errors,
    placenames_errors,
    tile_errors,
    facilities_errors,
    populations_errors,
    planning_errors,
    ogc_errors,
)
"""The errors modules of the domain packages; each declares its exception → status table, ``STATUS``."""

STATUS_CODES: dict[type[Exception], int] = {
    ServiceUnavailable: 503,
    **{cls: status for module in DOMAIN_ERRORS for cls, status in module.STATUS.items()},
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
    body.update(getattr(exc, "body", None) or {})
    status = status_for(exc)
    if status >= 500:
        log.error("%d %s %s: %s", status, request.method, request.url.path, exc, exc_info=status == 500)
    return JSONResponse(body, status_code=status, headers=getattr(exc, "headers", None))


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Answer 503 with Retry-After when the database cannot be reached or a statement timed out."""
    if isinstance(exc, asyncpg.QueryCanceledError):
        detail = "the request took longer than the database statement timeout; narrow it or retry later"
    else:
        detail = "the database is unavailable; retry shortly"
    log.warning("503 %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "5"})


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """Log an unexpected error with its traceback and answer a JSON 500 (never a bare text page)."""
    log.error("500 %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal server error; it has been logged"}, status_code=500)


def add_exception_handlers(app: FastAPI) -> None:
    """Register the handler for every domain error class in the table, outages and the rest."""
    for cls in STATUS_CODES:
        app.add_exception_handler(cls, _handle)
    for cls in DATABASE_UNAVAILABLE:
        app.add_exception_handler(cls, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
