"""HTTP routes of /v1/facilities (listing, file import by staff) and the upload reading imports share."""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from boundaries import (
    DivisionNotFound,
    LimitQuery,
    OffsetQuery,
    ReverseGeocoder,
    check_code,
    code_prefix,
    paged_response,
    version_at,
)
from placenames import auth
from spatial_platform.facilities import queries
from spatial_platform.facilities.errors import InvalidParameter, ProblemTooLarge
from spatial_platform.facilities.models import KINDS, FacilityList, ImportReport
from spatial_platform.facilities.readers import MAX_ROWS, CellError, Table, read_table, text
from spatial_platform.facilities.service import geocoder_locator, import_facilities
from spatial_platform.planning.measures import parse_at
from spatial_platform.settings import ApiSettings

IMPORT_ROLES = ("editor", "admin")
CONTENT_TYPES = {
    "text/csv": "csv",
    "application/geo+json": "geojson",
    "application/json": "geojson",
    "application/geopackage+sqlite3": "gpkg",
}
SUFFIX = {"csv": ".csv", "geojson": ".geojson", "gpkg": ".gpkg"}

Division = Annotated[str, Query(description="Province, prefecture or county code, e.g. 430100.")]
At = Annotated[str | None, Query(description="YYYY (31 Dec), YYYY-MM or YYYY-MM-DD; default today.")]
Format = Annotated[str | None, Query(description="csv, geojson or gpkg (default: from Content-Type).")]
DryRun = Annotated[bool, Query(description="Check and count, then roll back.")]
Source = Annotated[
    str | None,
    Query(description="Data set name: rows with the same source and id update (default 'upload by USER')"),
]


def source_name(source: str | None, actor: auth.Actor) -> str:
    """Return the data set name of an upload (checked), by default 'upload by USER'."""
    try:
        return text(source, 200) or f"upload by {actor.name}"
    except CellError as exc:
        raise InvalidParameter("source", f"source {exc}") from None


def read_upload(body: bytes, fmt: str, max_rows: int = MAX_ROWS) -> Table:
    """Write an uploaded file to a temporary file and read it (blocking)."""
    with tempfile.TemporaryDirectory(prefix="sp-upload-") as tmp:
        path = Path(tmp) / f"upload{SUFFIX[fmt]}"
        path.write_bytes(body)
        return read_table(path, max_rows)


@dataclass
class UploadReader:
    """Reads an import's request body as a CSV, GeoJSON or GeoPackage file within the upload limits."""

    max_bytes: int
    max_rows: int

    async def __call__(self, request: Request, format: str | None) -> Table:
        """Read the request body as a CSV, GeoJSON or GeoPackage file."""
        media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        fmt = (format or CONTENT_TYPES.get(media) or "").lower()
        if fmt not in SUFFIX:
            known = ", ".join(sorted(SUFFIX))
            raise InvalidParameter("format", f"format must be one of {known} (or a matching Content-Type)")
        body = await request.body()
        if len(body) > self.max_bytes:
            raise ProblemTooLarge("file", f"upload is {len(body)} bytes; at most {self.max_bytes}")
        return await run_in_threadpool(read_upload, body, fmt, self.max_rows)

    @classmethod
    def of(cls, settings: ApiSettings) -> "UploadReader":
        """Return the reader with the API's upload limits."""
        return cls(settings.import_max_bytes, settings.import_max_rows)


@dataclass
class CivilAffairsRouter:
    """Builds the facility routes; dependencies and ``settings`` (the upload limits) are fields."""

    get_connection: Callable
    get_geocoder: Callable
    authorize: Any
    settings: ApiSettings

    def router(self) -> APIRouter:
        """Return the router with the listing and the import mounted."""
        api = APIRouter(tags=["facilities"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Geocoder = Annotated[ReverseGeocoder, Depends(self.get_geocoder)]

        Staff = Annotated[auth.Actor, Depends(self.authorize.roles(*IMPORT_ROLES))]

        @api.get(
            "/v1/facilities", response_model=FacilityList, summary="Facilities open at a date in a division"
        )
        async def list_facilities(
            request: Request,
            conn: Conn,
            division: Division,
            at: At = None,
            kinds: Annotated[str | None, Query(description="Comma-separated kinds (default: all)")] = None,
            limit: LimitQuery = None,
            offset: OffsetQuery = 0,
        ):
            code = check_code(division, "division")
            when = parse_at(at)
            if await version_at(conn, code, when) is None:
                raise DivisionNotFound(f"division code {code} was not in use on {when}")
            wanted = [k.strip() for k in kinds.split(",") if k.strip()] if kinds else list(KINDS)
            if unknown := sorted(set(wanted) - set(KINDS)):
                raise InvalidParameter(
                    "kinds", f"unknown kind(s) {', '.join(unknown)}; known: {', '.join(KINDS)}"
                )
            rows = await queries.in_county_prefix(conn, when, code_prefix(code), wanted)
            facilities = [{**dict(r), "kind_label": KINDS[r["kind"]]} for r in rows]
            return paged_response(request, "facilities", facilities, limit, offset, division=code, at=when)

        staff_heavy = {"x-roles": list(IMPORT_ROLES), "x-heavy": True}

        @api.post(
            "/v1/facilities/import", response_model=ImportReport, status_code=201, openapi_extra=staff_heavy
        )
        async def import_facility_upload(
            request: Request,
            conn: Conn,
            geocoder: Geocoder,
            actor: Staff,
            format: Format = None,
            crs: Annotated[str, Query(description="wgs84, cgcs2000, gcj02 or bd09")] = "wgs84",
            dry_run: DryRun = False,
            source: Source = None,
        ):
            """Import a facility file (body), codes by reverse geocoding; any bad row → nothing changes."""
            name = source_name(source, actor)  # parameters first, then the (large) body
            table = await UploadReader.of(self.settings)(request, format)
            report = await import_facilities(
                conn,
                table,
                locate=geocoder_locator(geocoder),
                source=name,
                crs=crs,
                dry_run=dry_run,
            )
            return JSONResponse(report.model_dump(), status_code=200 if dry_run else 201)

        return api
