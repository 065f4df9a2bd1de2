"""HTTP routes of division boundaries: a boundary at a date, and adjustments under review."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from boundaries.codes import check_code
from boundaries.geometry import review
from boundaries.geometry.models import (
    BoundaryFeature,
    BoundaryProposal,
    BoundaryProposals,
    BoundaryUploadRequest,
)
from boundaries.geometry.service import boundary_at, check_crs, parse_upload
from boundaries.history.service import IndexCache
from boundaries.routes import AtQuery, json_object, json_response


@dataclass
class BoundaryRouter:
    """Builds the boundary endpoints: a boundary at a date, and adjustments under review.

    ``authorize`` gives the caller dependencies: ``authorize.roles(*roles)`` returns a FastAPI
    dependency that yields the caller when their role is one of ``roles`` (401/403 otherwise).
    """

    get_connection: Callable
    index_cache: IndexCache
    authorize: Any
    today: Callable[[], date] = date.today

    def router(self) -> APIRouter:
        """Return a router with the boundary and boundary-proposal endpoints mounted."""
        api = APIRouter(tags=["boundaries"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Proposer = Annotated[Any, Depends(self.authorize.roles(*review.PROPOSERS))]
        Reviewer = Annotated[Any, Depends(self.authorize.roles(*review.REVIEWERS))]
        Staff = Annotated[Any, Depends(self.authorize.roles(*review.STAFF))]
        ProposalId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Proposal id")]
        geojson = "application/geo+json"

        @api.get(
            "/v1/divisions/{code}/boundary",
            response_model=BoundaryFeature,
            summary="A division's boundary in force at a date, as GeoJSON in the requested CRS",
            responses={404: {"description": "Unknown code, or no boundary known at that date"}},
        )
        async def boundary(
            code: str,
            conn: Conn,
            at: AtQuery = None,
            crs: Annotated[str | None, Query(description="wgs84 (default), cgcs2000, gcj02 or bd09")] = None,
        ):
            index = await self.index_cache.get(conn)
            when = index.coverage(self.today()).parse(at)
            body = await boundary_at(conn, index, code, when, check_crs(crs))
            return Response(body, media_type=geojson)

        @api.post(
            "/v1/divisions/{code}/boundary",
            status_code=201,
            response_model=BoundaryProposal,
            summary="Propose a boundary adjustment (takes effect when another reviewer publishes it)",
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": BoundaryUploadRequest.model_json_schema()}},
                },
                "x-roles": list(review.PROPOSERS),
            },
            responses={
                404: {"description": "Unknown code"},
                422: {"description": "Bad input; names the field"},
            },
        )
        async def upload(code: str, request: Request, conn: Conn, actor: Proposer):
            body = json_object(await request.body())
            checked = await run_in_threadpool(parse_upload, body, self.today())
            index = await self.index_cache.get(conn)
            created = await review.propose(conn, index, code, checked, actor)
            location = {"Location": f"/v1/boundary-proposals/{created['id']}"}
            return Response(orjson.dumps(created), 201, location, media_type="application/json")

        @api.get(
            "/v1/boundary-proposals",
            response_model=BoundaryProposals,
            summary="Boundary proposals by state and code (staff)",
        )
        async def proposals(
            conn: Conn,
            actor: Staff,
            state: Annotated[str | None, Query(description="submitted, published or rejected")] = None,
            code: Annotated[str | None, Query(description="Only proposals for this division")] = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        ):
            found = await review.listing(conn, state, code and check_code(code), limit)
            return json_response({"count": len(found), "proposals": found})

        @api.get(
            "/v1/boundary-proposals/{proposal_id}",
            response_model=BoundaryProposal,
            summary="One boundary proposal with its geometry (staff)",
        )
        async def proposal(proposal_id: ProposalId, conn: Conn, actor: Staff):
            return json_response(await review.read(conn, proposal_id))

        @api.post(
            "/v1/boundary-proposals/{proposal_id}/publish",
            response_model=BoundaryProposal,
            summary="Publish a proposal (a reviewer other than its author): the change takes effect",
            openapi_extra=_COMMENT_BODY | {"x-roles": list(review.REVIEWERS)},
        )
        async def publish(proposal_id: ProposalId, request: Request, conn: Conn, actor: Reviewer):
            comment = json_object(await request.body(), required=False).get("comment")
            index = await self.index_cache.get(conn)
            return json_response(await review.publish(conn, index, proposal_id, actor, comment))

        @api.post(
            "/v1/boundary-proposals/{proposal_id}/reject",
            response_model=BoundaryProposal,
            summary="Reject a proposal with a comment (a reviewer other than its author)",
            openapi_extra=_COMMENT_BODY | {"x-roles": list(review.REVIEWERS)},
        )
        async def reject(proposal_id: ProposalId, request: Request, conn: Conn, actor: Reviewer):
            comment = json_object(await request.body(), required=False).get("comment")
            return json_response(await review.reject(conn, proposal_id, actor, comment))

        @api.post(
            "/v1/boundary-proposals/{proposal_id}/withdraw",
            status_code=201,
            response_model=BoundaryProposal,
            summary="Propose to withdraw a published adjustment (a correction, reviewed like any change)",
            openapi_extra=_REASON_BODY | {"x-roles": list(review.PROPOSERS)},
        )
        async def withdraw(proposal_id: ProposalId, request: Request, conn: Conn, actor: Proposer):
            reason = json_object(await request.body()).get("reason")
            created = await review.propose_withdrawal(conn, proposal_id, reason, actor)
            return Response(orjson.dumps(created), 201, media_type="application/json")

        return api


_REASON_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["reason"],
                    "properties": {"reason": {"type": "string"}},
                }
            }
        },
    }
}
_COMMENT_BODY = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": {"type": "object", "properties": {"comment": {"type": "string"}}}}
        },
    }
}
