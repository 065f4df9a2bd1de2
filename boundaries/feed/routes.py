"""HTTP routes of the change feed: GET /v1/changes (JSON, ETag), /v1/changes.atom and one entry."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request, Response

from boundaries.feed import atom, service
from boundaries.routes import json_response


@dataclass
class FeedRouter:
    """Builds the public change feed; a poll that finds nothing new costs a 304."""

    get_connection: Callable
    authorize: Any

    def router(self) -> APIRouter:
        """Return a router with the feed endpoints mounted."""
        api = APIRouter(tags=["change feed"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Caller = Annotated[Any, Depends(self.authorize.actor())]

        @api.get(
            "/v1/changes.atom",
            summary="The change feed as Atom 1.0 (the latest entries, or those after `since`)",
            response_class=Response,
            responses={200: {"content": {"application/atom+xml": {"schema": {"type": "string"}}}},
                       304: {"description": "Nothing new since the ETag sent"}},
        )  # fmt: skip
        async def atom_feed(
            request: Request,
            conn: Conn,
            _caller: Caller,
            since: Annotated[
                int | None, Query(ge=0, le=2**63 - 1, description="Last seq already seen")
            ] = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        ):
            head = await service.head(conn)
            start = max(0, head - limit) if since is None else since
            etag = f'"atom-{start}-{limit}-{head}"'
            headers = {"ETag": etag, "Cache-Control": "public, max-age=30"}
            if request.headers.get("if-none-match") == etag:
                return Response(status_code=304, headers=headers)
            entries, head = await service.page(conn, start, limit)
            base = str(request.base_url).rstrip("/")
            updated = entries[-1]["published_at"] if entries else None
            body = atom.render(list(reversed(entries)), head, base, updated)
            return Response(body, media_type="application/atom+xml; charset=utf-8", headers=headers)

        @api.get(
            "/v1/changes",
            summary="Published division changes after a sequence number, in publication order",
            description="Each entry has its `seq`, kind, document, effective date, the versions it ends "
            "and starts (codes, names, levels, parents) and its edges; replaying from 0 rebuilds every "
            "snapshot. Poll with `since` = the last `next` and `If-None-Match` = the last ETag.",
            responses={304: {"description": "Nothing new since the ETag sent"}},
        )
        async def feed(
            request: Request,
            conn: Conn,
            _caller: Caller,
            since: Annotated[int, Query(ge=0, le=2**63 - 1, description="Last seq already seen")] = 0,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        ):
            entries, head = await service.page(conn, since, limit)
            etag = f'"{since}-{limit}-{head}"'
            headers = {"ETag": etag, "Cache-Control": "public, max-age=30"}
            if request.headers.get("if-none-match") == etag:
                return Response(status_code=304, headers=headers)
            nxt = entries[-1]["seq"] if entries else since
            response = json_response(
                {"since": since, "next": nxt, "head": head, "count": len(entries), "changes": entries}
            )
            response.headers.update(headers)
            return response

        @api.get(
            "/v1/changes/{seq}",
            summary="One change-feed entry",
            responses={404: {"description": "No such entry"}},
        )
        async def one(seq: Annotated[int, Path(ge=1, le=2**63 - 1)], conn: Conn, _caller: Caller):
            return json_response(await service.one(conn, seq))

        return api
