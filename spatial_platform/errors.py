"""One table from domain exception to HTTP status (merged from each package's), and the handlers."""

from __future__ import annotations

import logging

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

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


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Answer FastAPI's own parameter checks (a non-integer ``limit``, a missing ``target``) in the
    service's shape, ``{"detail", "field"}``, naming the first parameter at fault."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("query", "path", "header", "body")]
    field = loc[-1] if loc else "request"
    got = first.get("input")
    detail = f"{field}: {first.get('msg', 'invalid value')}" + (
        f", got {got!r}" if got is not None and not isinstance(got, dict | list) else ""
    )
    return JSONResponse({"detail": detail, "field": field}, status_code=422)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """FastAPI's own refusals: an unparseable body is a 422 on ``body``; the rest keep their status."""
    if exc.status_code == 400 and "parsing the body" in str(exc.detail):
        return JSONResponse({"detail": "request body is not valid JSON", "field": "body"}, status_code=422)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


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
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
