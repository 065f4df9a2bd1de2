"""HTTP routes of the place-name register; the package's only FastAPI import."""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.security import HTTPBearer
from starlette.background import BackgroundTask

from boundaries import LimitQuery, OffsetQuery, json_object, paged_response
from placenames import auth, bulk, files, models, queries, search, service
from placenames import export as export_
from placenames.errors import InvalidPlacename, PayloadTooLarge
from placenames.ratelimit import RateLimiter

CONTENT_TYPES = {
    "text/csv": "csv",
    "application/geo+json": "geojson",
    "application/json": "geojson",
    "application/geopackage+sqlite3": "gpkg",
    "application/zip": "shp",
}
BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": models.PlacenameIn.model_json_schema(by_alias=True)}},
    }
}
IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag (version) you read.")]


def _json(payload, status: int = 200, etag: int | None = None) -> Response:
    """Serialise with orjson, with the record version as a strong ETag when given."""
    headers = {"ETag": f'"{etag}"'} if etag is not None else None
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json", headers=headers)


def _record(record: dict, status: int = 200) -> Response:
    """Return a record with its version as ETag."""
    return _json(record, status, etag=record["version"])


def parse_at(value: str | None) -> datetime | None:
    """Parse ``at`` (YYYY-MM-DD means the end of that day, UTC; or an ISO date-time)."""
    if value in (None, ""):
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value) + timedelta(days=1), time(), UTC) - timedelta(
                microseconds=1
            )
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidPlacename("at", f"at must be YYYY-MM-DD or an ISO date-time, got {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token (`spatial-platform users token NAME`); its user's role decides what it may do.",
)


def roles_doc(*roles: str) -> dict:
    """OpenAPI extension naming who may call an operation (``anyone`` for public ones)."""
    return {"x-roles": list(roles)}


@dataclass
class Authorizer:
    """FastAPI dependencies for the caller of a request, built on the register's users and tokens."""

    get_connection: Callable

    def actor(self) -> Callable:
        """A dependency returning the caller (None without a token; 401 for a bad or revoked one)."""
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]

        async def current_actor(request: Request, conn: Conn, _: Annotated[object, Depends(_BEARER)] = None):
            return await auth.actor_from_header(conn, request.headers.get("authorization"))

        return current_actor

    def roles(self, *roles: str) -> Callable:
        """A dependency returning the caller if their role is one of ``roles`` (else 401 or 403)."""
        current = self.actor()

        async def actor_with_role(actor: Annotated[auth.Actor | None, Depends(current)]) -> auth.Actor:
            return auth.require(actor, roles)

        return actor_with_role


RecordId = Annotated[int, PathParam(ge=1, le=9_223_372_036_854_775_807, description="Record id")]
VersionNumber = Annotated[int, PathParam(ge=1, le=2_147_483_647, description="Version number")]
FromVersion = Annotated[int, Query(alias="from", ge=1, le=2_147_483_647)]
ToVersion = Annotated[int, Query(alias="to", ge=1, le=2_147_483_647)]


@dataclass
class PlacenameRouter:
    """Builds the /v1/placenames router; dependencies and ``settings`` (the limits) are fields."""

    get_connection: Callable
    limiter: RateLimiter
    get_pool: Callable
    settings: Any  # PlacenamesSettings: rate limit, search and name limits, uploads, tokens

    def router(self) -> APIRouter:
        """Return a router with every place-name endpoint mounted."""
        api = APIRouter(prefix="/v1/placenames", tags=["placenames"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]

        actor_of = Authorizer(self.get_connection).actor()

        async def limited(
            request: Request, conn: Conn, actor: Annotated[auth.Actor | None, Depends(actor_of)]
        ):
            await self.limiter.take_for(request, conn, actor)  # the route's own connection

        Actor = Annotated[auth.Actor | None, Depends(actor_of)]
        Limited = Depends(limited)

        @api.get("/search", response_model=models.SearchResults, dependencies=[Limited])
        async def search_names(
            conn: Conn,
            q: Annotated[str, Query(description="Chinese, traditional, pinyin, initials or a code")] = "",
            division: Annotated[str | None, Query(description="Only within this division code")] = None,
            category: Annotated[str | None, Query(description="GB/T 18521 category key")] = None,
            limit: int = 20,
        ):
            """Search published names: exact > prefix > higher level > other, with division paths."""
            query = search.parse(q, division, category, limit, self.settings.search_max_limit)
            hits = await search.search(conn, query)
            return _json({"query": query.text, "count": len(hits), "results": hits})

        @api.get("/suggest", response_model=models.SearchResults, dependencies=[Limited])
        async def suggest(conn: Conn, q: str = "", limit: int = 10):
            """Autocomplete: exact and prefix matches by name, pinyin or initials."""
            query = search.parse(q, None, None, limit, self.settings.search_max_limit)
            hits = await search.search(conn, query, suggest=True)
            return _json({"query": query.text, "count": len(hits), "results": hits})

        @api.get(
            "/export", dependencies=[Limited], response_class=FileResponse, openapi_extra={"x-heavy": True}
        )
        async def export(
            request: Request,
            format: str = "geojson",
            division: str | None = None,
            category: str | None = None,
        ):
            """Download published records as CSV, GeoJSON, GeoPackage or a zipped Shapefile.

            CSV and GeoJSON stream as they are read; in CSV a text cell starting with = + - @
            (or tab, carriage return) gets a leading ``'`` so spreadsheets do not run it.
            """
            fmt = files.format_of(Path("export"), format)
            search.division_prefix(division)  # a bad division code is refused before anything is sent
            pool = self.get_pool(request)
            disposition = {"Content-Disposition": f'attachment; filename="placenames{files.FORMATS[fmt]}"'}
            if fmt in ("csv", "geojson"):
                body = export_.stream(pool, fmt, division, category)
                return StreamingResponse(body, media_type=files.MEDIA_TYPES[fmt], headers=disposition)
            path = await export_.to_file(pool, fmt, division, category)
            return FileResponse(
                path,
                media_type=files.MEDIA_TYPES[fmt],
                filename=f"placenames{files.FORMATS[fmt]}",
                background=BackgroundTask(path.unlink, missing_ok=True),
            )

        @api.post(
            "/import",
            response_model=models.ImportReport,
            openapi_extra={**roles_doc(*models.STAFF), "x-heavy": True},
        )
        async def import_file(
            request: Request, conn: Conn, actor: Actor, format: str | None = None, dry_run: bool = False
        ):
            """Import a file (body) of new records for review; any invalid row → nothing changes."""
            auth.require(actor, models.STAFF)
            media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            fmt = files.format_of(Path("upload"), format or CONTENT_TYPES.get(media))
            body = await request.body()
            if len(body) > self.settings.import_max_bytes:
                raise PayloadTooLarge(
                    f"upload is {len(body)} bytes; at most {self.settings.import_max_bytes}"
                )
            rows = await run_in_threadpool(
                _read_upload,
                body,
                fmt,
                self.settings.import_max_rows,
                self.settings.import_max_expanded_bytes,
            )
            result = await bulk.import_rows(
                conn,
                actor,
                rows,
                dry_run=dry_run,
                source=f"upload ({fmt})",
                name_max=self.settings.name_max_length,
            )
            return _json(result.__dict__, 200 if dry_run else 201)

        @api.get("/queue", summary="Records waiting for review (or drafts)")
        async def review_queue(request: Request, conn: Conn, actor: Actor, state: str = "submitted",
                               limit: LimitQuery = 100, offset: OffsetQuery = 0):  # fmt: skip
            """List records whose head is submitted (or draft), oldest change first, in pages."""
            auth.require(actor, models.STAFF)
            if state not in ("draft", "submitted"):
                raise InvalidPlacename("state", "state must be draft or submitted")
            rows = [dict(r) for r in await queries.queue(conn, state)]
            return paged_response(request, "records", rows, limit, offset, _json, state=state)

        staff_body = {**BODY, **roles_doc(*models.STAFF)}

        @api.post("", response_model=models.Placename, status_code=201, openapi_extra=staff_body)
        async def create(request: Request, conn: Conn, actor: Actor):
            """Create a draft record (editor, reviewer or admin)."""
            record = await service.create(conn, actor, await _body(request), self.settings.name_max_length)
            return _record(record, 201)

        @api.get("/{record_id}", response_model=models.Placename, dependencies=[Limited])
        async def read(record_id: RecordId, conn: Conn, actor: Actor, at: str | None = None):
            """A record: the published version for the public, the latest for staff, or as of ``at``."""
            return _record(await service.read(conn, actor, record_id, parse_at(at)))

        @api.patch("/{record_id}", response_model=models.Placename, openapi_extra=staff_body)
        async def update(
            record_id: RecordId, request: Request, conn: Conn, actor: Actor, if_match: IfMatch = None
        ):
            """Change fields (with a ``reason``) on top of the version in If-Match."""
            body = await _body(request)
            return _record(
                await service.update(conn, actor, record_id, if_match, body, self.settings.name_max_length)
            )

        def _transition(action: str):
            async def endpoint(
                record_id: RecordId, request: Request, conn: Conn, actor: Actor, if_match: IfMatch = None
            ):
                body = await _body(request, required=False)
                reason = body.get("reason", body.get("comment"))
                return _record(await service.transition(conn, actor, record_id, action, if_match, reason))

            endpoint.__name__ = f"{action}_record"
            endpoint.__doc__ = (
                f"{action.capitalize()} a record ({', '.join(service.TRANSITIONS[action][0])})."
            )
            return endpoint

        for action in service.TRANSITIONS:
            api.add_api_route(
                f"/{{record_id}}/{action}",
                _transition(action),
                methods=["POST"],
                response_model=models.Placename,
                summary=f"{action.capitalize()} the version in If-Match",
                openapi_extra=roles_doc(*service.TRANSITIONS[action][0]),
            )

        @api.get("/{record_id}/history", response_model=models.History, dependencies=[Limited])
        async def history(record_id: RecordId, conn: Conn, actor: Actor):
            """Every version (the public sees published ones) with who, when and why."""
            return _json({"id": record_id, "versions": await service.history(conn, actor, record_id)})

        @api.get("/{record_id}/versions/{number}", response_model=models.Placename, dependencies=[Limited])
        async def one_version(record_id: RecordId, number: VersionNumber, conn: Conn, actor: Actor):
            """One version of a record."""
            return _record(await service.read(conn, actor, record_id, number=number))

        @api.get("/{record_id}/compare", response_model=models.Comparison, dependencies=[Limited])
        async def compare(
            record_id: RecordId,
            conn: Conn,
            actor: Actor,
            old: FromVersion,
            new: ToVersion,
        ):
            """The fields that differ between two versions."""
            changes = await service.compare(conn, actor, record_id, old, new)
            return _json({"id": record_id, "old_version": old, "new_version": new, "changes": changes})

        @api.get("/{record_id}/audit")
        async def audit(record_id: RecordId, conn: Conn, actor: Actor):
            """The audit log of one record (staff only)."""
            auth.require(actor, models.STAFF)
            entries = await queries.audit_entries(conn, record_id)
            rows = [dict(r) | {"detail": orjson.loads(r["detail"])} for r in entries]
            return _json({"id": record_id, "entries": rows})

        return api


async def _body(request: Request, required: bool = True) -> dict:
    """Parse a JSON object body (or an empty one when not required)."""
    return json_object(await request.body(), required)


def _read_upload(body: bytes, fmt: str, max_rows: int, max_expanded_bytes: int) -> list[dict]:
    """Write an upload to a temporary file and read its rows (blocking)."""
    with tempfile.TemporaryDirectory(prefix="placenames-import-") as folder:
        path = Path(folder) / f"upload{files.FORMATS[fmt]}"
        path.write_bytes(body)
        return files.read_rows(path, fmt, max_rows, max_expanded_bytes)
