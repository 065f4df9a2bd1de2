"""One table from domain exception to HTTP status, and the handlers that apply it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from boundaries.errors import (
    BatchTooLarge,
    BoundariesError,
    DivisionNotFound,
    GeometryNotFound,
    InvalidInput,
    MissingDataset,
    PointNotInDivision,
    SourceDataError,
)
from placenames import errors as pn
from spatial_platform.facilities import errors as ca
from tile_server.errors import InvalidTileAddress, TileError, TileOutOfRange, UnknownLayer

STATUS_CODES: dict[type[Exception], int] = {
    ca.InvalidParameter: 422,
    ca.ImportRejected: 422,
    ca.UnreadableFile: 422,
    ca.MissingData: 409,
    ca.ProblemTooLarge: 413,
    ca.CivilAffairsError: 400,
    InvalidInput: 422,
    DivisionNotFound: 404,
    GeometryNotFound: 404,
    PointNotInDivision: 404,
    BatchTooLarge: 413,
    MissingDataset: 409,
    SourceDataError: 500,
    BoundariesError: 400,
    InvalidTileAddress: 422,
    UnknownLayer: 404,
    TileOutOfRange: 404,
    TileError: 400,
    pn.InvalidPlacename: 422,
    pn.ImportRejected: 422,
    pn.RecordNotFound: 404,
    pn.Unauthorized: 401,
    pn.Forbidden: 403,
    pn.PreconditionRequired: 428,
    pn.VersionConflict: 412,
    pn.DuplicateName: 409,
    pn.InvalidTransition: 409,
    pn.RateLimited: 429,
    pn.PlacenamesError: 400,
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
    return JSONResponse(body, status_code=status_for(exc), headers=getattr(exc, "headers", None))


def add_exception_handlers(app: FastAPI) -> None:
    """Register the handler for every domain error class in the table."""
    for cls in STATUS_CODES:
        app.add_exception_handler(cls, _handle)
