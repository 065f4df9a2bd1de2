"""HTTP routes of the division history API; the package's only FastAPI import."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from boundaries import models, queries, towns
from boundaries.errors import BatchTooLarge, InvalidInput
from boundaries.reverse_requests import parse_csv, parse_json, reverse_batch, reverse_one
from boundaries.reverse_service import ReverseGeocoder
from boundaries.service import IndexCache, LineageIndex, chain_out, check_code, check_level

AtQuery = Annotated[
    str | None,
    Query(description="Date as YYYY (31 Dec), YYYY-MM (month end) or YYYY-MM-DD; default today."),
]


# Read-only POSTs anyone may send (documented as such), counted as heavy requests.
PUBLIC_HEAVY = {"x-roles": ["anyone"], "x-heavy": True}


def _json(payload) -> Response:
    """Serialise with orjson (dates as ISO strings)."""
    return Response(orjson.dumps(payload), media_type="application/json")


@dataclass
class DivisionRouter:
    """Builds the /v1/divisions router; dependencies are fields so tests can swap them."""

    get_connection: Callable
    index_cache: IndexCache
    authorize: Any
    max_batch: int = 10_000
    today: Callable[[], date] = date.today

    def router(self) -> APIRouter:
        """Return a router with every division endpoint mounted."""
        api = APIRouter(prefix="/v1/divisions", tags=["divisions"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Caller = Annotated[Any, Depends(self.authorize.actor())]  # a bad token is refused (401)

        async def index_of(conn: Conn) -> LineageIndex:
            return await self.index_cache.get(conn)

        Index = Annotated[LineageIndex, Depends(index_of)]

        @api.get("", response_model=models.Snapshot, summary="All divisions in force at a date")
        async def snapshot(
            conn: Conn,
            index: Index,
            at: AtQuery = None,
            level: Annotated[
                str | None,
                Query(description="province, prefecture, county (default: these three), town or village"),
            ] = None,
            parent: Annotated[str | None, Query(description="Only children of this code")] = None,
        ):
            when = index.coverage(self.today()).parse(at)
            if level == "village" and not parent:
                raise InvalidInput("parent", "level=village needs a parent (a town code): there are ~620,000")
            rows = await queries.snapshot(
                conn, when, check_level(level), parent and check_code(parent, "parent")
            )
            return _json({"at": when, "count": len(rows), "divisions": [dict(r) for r in rows]})

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
            if len(items) > self.max_batch:
                raise BatchTooLarge(f"{len(items)} items sent; at most {self.max_batch} per request")
            local = await towns.lookup(conn, towns.batch_codes(items))
            results = index.resolve(items, self.today(), local)
            found = sum(r["found"] for r in results)
            return _json({"count": len(results), "found": found, "results": results})

        @api.get(
            "/{code}",
            response_model=models.DivisionDetail,
            summary="One division as it was at a date, with its parents",
        )
        async def division(code: str, conn: Conn, index: Index, at: AtQuery = None):
            when = index.coverage(self.today()).parse(at)
            if towns.is_local(check_code(code)):
                return _json(await towns.detail(conn, index, code, when))
            node = index.require(code, when)
            row = await queries.version_at(conn, node.code, when)
            parents = await queries.parent_chain(conn, node.code, when)
            return _json({**dict(row), "at": when, "parents": [dict(p) for p in parents]})

        @api.get(
            "/{code}/children",
            response_model=models.Snapshot,
            summary="The divisions directly under a code at a date",
        )
        async def children(code: str, conn: Conn, index: Index, at: AtQuery = None):
            when = index.coverage(self.today()).parse(at)
            if towns.is_local(check_code(code)):
                (await towns.lookup(conn, [code])).require(code, when)
            else:
                index.require(code, when)
            rows = await queries.snapshot(conn, when, None, code)
            return _json({"at": when, "count": len(rows), "divisions": [dict(r) for r in rows]})

        @api.get(
            "/{code}/history",
            response_model=models.History,
            summary="Every version of a code and the change events that touch it",
        )
        async def history(code: str, conn: Conn):
            versions = await queries.versions_of(conn, check_code(code))
            if not versions and towns.is_local(code):
                (await towns.lookup(conn, [code])).require(code, self.today())
            if not versions:
                index = await self.index_cache.get(conn)
                index.require(code, self.today())
            events = await queries.events_touching(conn, code)
            edges = await queries.edges_touching(conn, code)
            return _json(
                {
                    "code": code,
                    "versions": [dict(v) for v in versions],
                    "events": [dict(e) for e in events],
                    "edges": [dict(e) for e in edges],
                }
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
                local = await towns.lookup(conn, [code])
                row = local.require(code, when)
                via = local.via(index, code, when)
                node, since = via.node, via.at
                body.update(name=row["name"], level=row["level"], via=via.out())
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
            return _json({**body, "successors": found})

        return api


CrsQuery = Annotated[
    str | None, Query(description="Coordinates' CRS: wgs84 (default), cgcs2000, gcj02 or bd09")
]
_CSV_EXAMPLE = "id,lon,lat\n1,116.3975,39.9087"


@dataclass
class ReverseRouter:
    """Builds the /v1/reverse router: the divisions holding points at a date."""

    get_connection: Callable
    get_geocoder: Callable
    authorize: Any
    max_points: int = 100_000
    today: Callable[[], date] = date.today

    def router(self) -> APIRouter:
        """Return a router with the single-point and batch reverse-geocoding endpoints."""
        api = APIRouter(prefix="/v1/reverse", tags=["reverse geocoding"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Caller = Annotated[Any, Depends(self.authorize.actor())]  # a bad token is refused (401)
        Geocoder = Annotated[ReverseGeocoder, Depends(self.get_geocoder)]

        @api.get(
            "",
            response_model=models.ReverseAnswer,
            summary="Province, prefecture and county containing a point at a date",
            responses={
                404: {"description": "No division contains the point"},
                422: {"description": "Bad coordinates, date or CRS"},
            },
        )
        async def reverse_point(
            conn: Conn,
            geocoder: Geocoder,
            lon: Annotated[str | None, Query(description="Longitude in degrees")] = None,
            lat: Annotated[str | None, Query(description="Latitude in degrees")] = None,
            at: AtQuery = None,
            crs: CrsQuery = None,
        ):
            return _json(await reverse_one(geocoder, conn, lon, lat, at, crs, self.today()))

        @api.post(
            "",
            response_model=models.ReverseBatchAnswer,
            summary="Reverse-geocode up to max_points points sent as JSON or CSV (text/csv)",
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": models.ReverseBatchRequest.model_json_schema()},
                        "text/csv": {"schema": {"type": "string", "example": _CSV_EXAMPLE}},
                    },
                },
                **PUBLIC_HEAVY,
            },
            responses={413: {"description": "More points than the batch limit"}},
        )
        async def reverse_points(
            request: Request,
            conn: Conn,
            geocoder: Geocoder,
            caller: Caller,
            at: AtQuery = None,
            crs: CrsQuery = None,
            lon_col: Annotated[str, Query(description="CSV column holding longitudes")] = "lon",
            lat_col: Annotated[str, Query(description="CSV column holding latitudes")] = "lat",
        ):
            body = await request.body()
            if "csv" in request.headers.get("content-type", ""):
                batch = await run_in_threadpool(parse_csv, body, self.max_points, lon_col, lat_col)
            else:
                batch, body_at, body_crs = await run_in_threadpool(parse_json, body, self.max_points)
                at, crs = at or body_at, crs or body_crs
            answer = await reverse_batch(geocoder, conn, batch, at, crs, self.today())
            return await run_in_threadpool(_json, answer)

        return api
