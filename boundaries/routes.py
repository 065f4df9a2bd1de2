"""HTTP routes of the division history API; the package's only FastAPI import."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from boundaries import models, queries
from boundaries.errors import BatchTooLarge, InvalidInput
from boundaries.service import IndexCache, LineageIndex, chain_out, check_code, check_level

AtQuery = Annotated[
    str | None,
    Query(description="Date as YYYY (31 Dec), YYYY-MM (month end) or YYYY-MM-DD; default today."),
]


def _json(payload) -> Response:
    """Serialise with orjson (dates as ISO strings)."""
    return Response(orjson.dumps(payload), media_type="application/json")


@dataclass
class DivisionRouter:
    """Builds the /v1/divisions router; dependencies are fields so tests can swap them."""

    get_connection: Callable
    index_cache: IndexCache
    max_batch: int = 10_000
    today: Callable[[], date] = date.today

    def router(self) -> APIRouter:
        """Return a router with every division endpoint mounted."""
        api = APIRouter(prefix="/v1/divisions", tags=["divisions"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]

        async def index_of(conn: Conn) -> LineageIndex:
            return await self.index_cache.get(conn)

        Index = Annotated[LineageIndex, Depends(index_of)]

        @api.get("", response_model=models.Snapshot, summary="All divisions in force at a date")
        async def snapshot(
            conn: Conn,
            index: Index,
            at: AtQuery = None,
            level: Annotated[str | None, Query(description="province, prefecture or county")] = None,
            parent: Annotated[str | None, Query(description="Only children of this code")] = None,
        ):
            when = index.coverage(self.today()).parse(at)
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
                }
            },
            responses={413: {"description": "More items than the batch limit"}},
        )
        async def resolve(request: Request, index: Index):
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError as exc:
                raise InvalidInput("body", f"request body is not valid JSON: {exc}") from None
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise InvalidInput("items", "body must be an object with a list 'items'")
            if len(items) > self.max_batch:
                raise BatchTooLarge(f"{len(items)} items sent; at most {self.max_batch} per request")
            results = index.resolve(items, self.today())
            found = sum(r["found"] for r in results)
            return _json({"count": len(results), "found": found, "results": results})

        @api.get(
            "/{code}",
            response_model=models.DivisionDetail,
            summary="One division as it was at a date, with its parents",
        )
        async def division(code: str, conn: Conn, index: Index, at: AtQuery = None):
            when = index.coverage(self.today()).parse(at)
            node = index.require(check_code(code), when)
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
            index.require(check_code(code), when)
            rows = await queries.snapshot(conn, when, None, code)
            return _json({"at": when, "count": len(rows), "divisions": [dict(r) for r in rows]})

        @api.get(
            "/{code}/history",
            response_model=models.History,
            summary="Every version of a code and the change events that touch it",
        )
        async def history(code: str, conn: Conn):
            versions = await queries.versions_of(conn, check_code(code))
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
        async def successors(code: str, index: Index, at: AtQuery = None):
            when = index.coverage(self.today()).parse(at)
            node = index.require(check_code(code), when)
            found = [
                {
                    "code": n.code,
                    "name": n.name,
                    "level": n.level,
                    "relation": rel,
                    "chain": chain_out(index, path),
                }
                for n, rel, path in index.successors(node, when)
            ]
            return _json({"code": node.code, "name": node.name, "at": when, "successors": found})

        return api
