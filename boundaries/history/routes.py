"""HTTP routes of the division history API: snapshot, one division, history, successors, resolve, diff.

Every answer says how far the record goes: ``data_as_of`` and ``beyond_record`` in the body and
the ``X-Data-As-Of`` header.
"""

import asyncio
import shutil
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from boundaries.codes import check_code, check_level, code_prefix
from boundaries.errors import BatchTooLarge, InvalidInput
from boundaries.geometry import export
from boundaries.history import models, queries, release, towns
from boundaries.history.diff import LEVELS, Scope, diff_csv
from boundaries.history.service import IndexCache, LineageIndex
from boundaries.history.successors import chain_out
from boundaries.history.town_index import TownIndexCache
from boundaries.routes import PUBLIC_HEAVY, AtQuery, LimitQuery, OffsetQuery, json_response, paged_response


def _headers(index: LineageIndex, beyond: bool | None = None) -> dict[str, str]:
    """The response headers saying how far the record goes."""
    out = {"X-Data-As-Of": index.data_as_of.isoformat()} if index.data_as_of else {}
    if beyond is not None:
        out["X-Beyond-Record"] = "true" if beyond else "false"
    return out


def recorded(index: LineageIndex, body: dict, *asked: date) -> Response:
    """Answer ``body`` with ``data_as_of``, ``beyond_record`` (any ``asked`` date after it), the header."""
    as_of = index.data_as_of
    beyond = as_of is not None and any(d is not None and d > as_of for d in asked)
    response = json_response({**body, "data_as_of": as_of, "beyond_record": beyond})
    response.headers.update(_headers(index))
    return response


def _stream(path: Path, chunk: int = 1 << 20):
    """Yield a file in chunks, then remove it and its temporary folder."""
    try:
        with path.open("rb") as fh:
            while block := fh.read(chunk):
                yield block
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


Limit, Offset = LimitQuery, OffsetQuery


def paged(request: Request, index: LineageIndex, when: date, rows: list, limit: int | None, offset: int):
    """A snapshot page, with the data-version headers of every snapshot answer."""
    return paged_response(request, "divisions", [dict(r) for r in rows], limit, offset,
                          lambda body: recorded(index, body, when), at=when)  # fmt: skip


DiffLevel = Annotated[str | None, Query(description="province, prefecture or county (default: all three)")]


@dataclass
class DivisionRouter:
    """Builds the /v1/divisions router; dependencies are fields so tests can swap them."""

    get_connection: Callable
    index_cache: IndexCache
    authorize: Any
    settings: Any  # the API settings: ``resolve_max_items`` bounds a batch
    today: Callable[[], date] = date.today
    town_cache: TownIndexCache = field(default_factory=TownIndexCache)

    def router(self) -> APIRouter:
        """Return a router with every division endpoint mounted."""
        api = APIRouter(prefix="/v1/divisions", tags=["divisions"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Caller = Annotated[Any, Depends(self.authorize.actor())]  # a bad token is refused (401)

        async def index_of(conn: Conn) -> LineageIndex:
            return await self.index_cache.get(conn)

        connection = asynccontextmanager(self.get_connection)  # a connection only when needed

        Index = Annotated[LineageIndex, Depends(index_of)]

        @api.get("", response_model=models.Snapshot, summary="All divisions in force at a date")
        async def snapshot(
            request: Request,
            conn: Conn,
            index: Index,
            at: AtQuery = None,
            level: Annotated[
                str | None,
                Query(description="province, prefecture, county (default: these three), town or village"),
            ] = None,
            parent: Annotated[str | None, Query(description="Only children of this code")] = None,
            limit: Limit = None,
            offset: Offset = 0,
        ):
            when = index.coverage(self.today()).parse(at)
            if level == "village" and not parent:
                raise InvalidInput("parent", "level=village needs a parent (a town code): there are ~620,000")
            rows = await queries.snapshot(
                conn, when, check_level(level), parent and check_code(parent, "parent")
            )
            return paged(request, index, when, rows, limit, offset)

        @api.get(
            "/diff",
            response_model=models.Diff,
            summary="What changed between two dates: added, retired, renamed, re-coded, re-parented",
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
        )
        async def diff(
            index: Index,
            from_: Annotated[
                str | None, Query(alias="from", description="Start date (YYYY, YYYY-MM or YYYY-MM-DD)")
            ] = None,
            to: Annotated[str | None, Query(description="End date, not before from; default today")] = None,
            parent: Annotated[str | None, Query(description="Only divisions under this code")] = None,
            level: DiffLevel = None,
            fmt: Annotated[str, Query(alias="format", description="json or csv")] = "json",
        ):
            start, end = index.coverage(self.today()).parse_span(from_, to)
            if check_level(level) is not None and level not in LEVELS:
                raise InvalidInput("level", f"a diff covers {', '.join(LEVELS)}, not {level!r}")
            if fmt not in ("json", "csv"):
                raise InvalidInput("format", f"format must be json or csv, got {fmt!r}")
            parent = parent and check_code(parent, "parent")
            scope = Scope((level,) if level else LEVELS, code_prefix(parent) if parent else "", parent)
            result = index.diff(start, end, scope)
            if fmt == "csv":
                beyond = index.coverage(self.today()).beyond_record(end)
                return Response(
                    diff_csv(result["changes"]),
                    media_type="text/csv; charset=utf-8",
                    headers=_headers(index, beyond),
                )
            body = {"from": start, "to": end, "parent": parent, "levels": list(scope.levels), **result}
            return recorded(index, body, start, end)

        @api.get(
            "/release",
            summary="The register at a date as a downloadable release (CSV or JSON) with its checksum",
            description="Codes, names, levels and parents of every division (county and above) in force "
            "at `at`; the file is named by the date and `data_as_of`, its SHA-256 is in `X-Checksum-SHA256` "
            "and `Digest`.",
            response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                         "application/json": {"schema": {"type": "object"}}}}},
        )  # fmt: skip
        async def release_file(
            conn: Conn,
            index: Index,
            at: AtQuery = None,
            fmt: Annotated[str, Query(alias="format", description="csv or json")] = "csv",
        ):
            when = index.coverage(self.today()).parse(at)
            if fmt not in release.FORMATS:
                raise InvalidInput("format", f"format must be csv or json, got {fmt!r}")
            rows = [dict(r) for r in await queries.snapshot(conn, when, None, None)]
            out = release.build(rows, when, index.data_as_of, fmt)
            beyond = index.coverage(self.today()).beyond_record(when)
            headers = out.headers() | _headers(index, beyond)
            return Response(out.body, media_type=out.media_type, headers=headers)

        @api.get(
            "/export",
            summary="Every division in force at a date with its boundary and provenance, as one file",
            description="GeoPackage, GeoParquet, GeoJSON, CSV (geometry as WKT) or zipped Shapefile, named "
            "by the date and data version; `provenance` is surveyed, derived or none; the SHA-256 is in "
            "`X-Checksum-SHA256`. Levels: province, prefecture, county (default all three), town or village.",
            response_class=StreamingResponse,
            responses={200: {"content": {t: {} for t, _ in export.FORMATS.values()}}},
            openapi_extra=PUBLIC_HEAVY,
        )
        async def export_file(
            conn: Conn,
            index: Index,
            at: AtQuery = None,
            level: Annotated[str | None, Query(description="one level (default: county and above)")] = None,
            parent: Annotated[str | None, Query(description="Only children of this code")] = None,
            fmt: Annotated[str, Query(alias="format", description=", ".join(export.FORMATS))] = "gpkg",
        ):
            when = index.coverage(self.today()).parse(at)
            if fmt not in export.FORMATS:
                known = ", ".join(export.FORMATS)
                raise InvalidInput("format", f"format must be one of {known}, got {fmt!r}")
            levels = (check_level(level),) if level else ("province", "prefecture", "county")
            if level == "village" and not parent:
                raise InvalidInput("parent", "level=village needs a parent (a town code): there are ~620,000")
            rows = await export.rows_at(conn, when, levels, parent and check_code(parent, "parent"))
            dv = index.data_version
            version = "-".join(map(str, dv)) if isinstance(dv, tuple) else dv
            out = await asyncio.to_thread(export.write, rows, fmt, when, version)
            headers = {
                "Content-Disposition": f'attachment; filename="{out.path.name}"',
                "X-Checksum-SHA256": out.sha256,
                "Content-Length": str(out.path.stat().st_size),
                **_headers(index, index.coverage(self.today()).beyond_record(when)),
            }
            return StreamingResponse(_stream(out.path), media_type=out.media_type, headers=headers)

        @api.get(
            "/statistical-units",
            response_model=models.StatisticalUnits,
            summary="County-level units of the statistics that GB/T 2260 does not have, at a date",
            description="Development zones, management areas and the like (e.g. 430171-style codes) as "
            "the statistical vintages list them, each with the prefecture (or province) it lies in and its "
            "number of towns.",
        )
        async def statistical_units(conn: Conn, index: Index, at: AtQuery = None):
            when = index.coverage(self.today()).parse(at)
            rows = [dict(r) for r in await queries.statistical_units(conn, when)]
            return recorded(index, {"at": when, "count": len(rows), "units": rows}, when)

        @api.post(
            "/resolve",
            response_model=models.ResolveResponse,
            summary="Resolve a batch of {code, at} items to today's codes",
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": models.ResolveRequest.model_json_schema()}},
                },
                **PUBLIC_HEAVY,
            },
            responses={413: {"description": "More items than the batch limit"}},
        )
        async def resolve(request: Request, conn: Conn, index: Index, caller: Caller):
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError as exc:
                raise InvalidInput("body", f"request body is not valid JSON: {exc}") from None
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise InvalidInput("items", "body must be an object with a list 'items'")
            if len(items) > (limit := self.settings.resolve_max_items):
                raise BatchTooLarge(f"{len(items)} items sent; at most {limit} per request")
            codes = towns.batch_codes(items)
            in_memory = await self.town_cache.get(conn) if codes else None
            local = in_memory.local(codes) if in_memory else await towns.lookup(conn, codes, follow=True)
            results = index.resolve(items, self.today(), local)
            found = sum(r["found"] for r in results)
            body = {"count": len(results), "found": found, "results": results}
            return recorded(index, body, *(r["at"] for r in results if r["beyond_record"]))

        @api.get(
            "/{code}",
            response_model=models.DivisionDetail,
            summary="One division as it was at a date, with its parents",
        )
        async def division(code: str, request: Request, at: AtQuery = None):
            index = self.index_cache.current()  # current by notification: answered from memory
            if index is not None and not towns.is_local(check_code(code)):
                when = index.coverage(self.today()).parse(at)
                if (body := index.detail(code, when)) is not None:
                    return recorded(index, body, when)
            async with connection(request) as conn:
                index = await self.index_cache.get(conn)
                when = index.coverage(self.today()).parse(at)
                if towns.is_local(check_code(code)):
                    return recorded(index, await towns.detail(conn, index, code, when), when)
                node = index.require(code, when)
                row = await queries.version_at(conn, node.code, when)
                parents = await queries.parent_chain(conn, node.code, when)
            return recorded(index, {**dict(row), "at": when, "parents": [dict(p) for p in parents]}, when)

        @api.get(
            "/{code}/children",
            response_model=models.Snapshot,
            summary="The divisions directly under a code at a date",
        )
        async def children(
            code: str, request: Request, conn: Conn, index: Index, at: AtQuery = None,
            limit: Limit = None, offset: Offset = 0,
        ):  # fmt: skip
            when = index.coverage(self.today()).parse(at)
            if towns.is_local(check_code(code)):
                (await towns.lookup(conn, [code])).require(code, when)
            else:
                index.require(code, when)
            rows = await queries.snapshot(conn, when, None, code)
            return paged(request, index, when, rows, limit, offset)

        @api.get(
            "/{code}/history",
            response_model=models.History,
            summary="Every version of a code and the change events that touch it",
        )
        async def history(code: str, conn: Conn, index: Index):
            versions = await queries.versions_of(conn, check_code(code))
            if not versions and towns.is_local(code):
                (await towns.lookup(conn, [code])).require(code, self.today())
            if not versions:
                index.require(code, self.today())
            events = await queries.events_touching(conn, code)
            edges = await queries.edges_touching(conn, code)
            out = [dict(v) for v in versions]
            if towns.is_local(code):
                spelt: dict[int, list] = {}
                for s in await queries.spellings_of(conn, [v["id"] for v in versions]):
                    spelt.setdefault(s["version_id"], []).append(
                        {"name": s["name"], "vintages": list(s["vintages"]), "current": s["current"]}
                    )
                for v in out:
                    v["spellings"] = spelt.get(v["id"])
            return recorded(
                index,
                {
                    "code": code,
                    "versions": out,
                    "events": [dict(e) for e in events],
                    "edges": [
                        {**dict(e), "evidence": orjson.loads(e["evidence"]) if e["evidence"] else None}
                        for e in edges
                    ],
                },
            )

        @api.get(
            "/{code}/successors",
            response_model=models.Successors,
            summary="Today's codes covering the area a code had at a date",
        )
        async def successors(code: str, conn: Conn, index: Index, at: AtQuery = None):
            when = index.coverage(self.today()).parse(at)
            body: dict = {"code": code, "at": when}
            if towns.is_local(check_code(code)):
                local = await towns.lookup(conn, [code], follow=True)
                row = local.require(code, when)
                body.update(name=row["name"], level=row["level"])
                own, note = local.own_successors(code, when)
                if own:
                    if note:
                        body["via"] = {"code": code[:9], "name": local.versions[code[:9]][-1]["name"],
                                       "level": "town", "note": note}  # fmt: skip
                    return recorded(index, {**body, "successors": own}, when)
                via = local.via(index, code, when)
                node, since = via.node, via.at
                body["via"] = {**via.out(), "note": via.note or f"no town lineage reaches today from {code}: "
                               "today's codes of its county"}  # fmt: skip
            else:
                node, since = index.require(code, when), when
                body.update(name=node.name, level=node.level)
            found = [
                {
                    "code": n.code,
                    "name": n.name,
                    "level": n.level,
                    "relation": rel,
                    "chain": chain_out(index, path),
                }
                for n, rel, path in index.successors(node, since)
            ]
            return recorded(index, {**body, "successors": found}, when)

        return api
