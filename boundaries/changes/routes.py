"""HTTP routes of recorded division changes: draft, edit, submit, approve (publish), reject, list."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from boundaries.changes import service
from boundaries.changes.models import ChangeDocument, ChangeList, ChangeOut, ReviewIn
from boundaries.routes import LimitQuery, OffsetQuery, json_object, json_response, paged_response

_PROBLEMS = {"description": "The change has problems: `problems` lists each with its field and reason"}


def _body_doc(model) -> dict:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


@dataclass
class ChangeRouter:
    """Builds /v1/division-changes; ``after_publish`` runs in the publishing transaction (place names)."""

    get_connection: Callable
    authorize: Any
    after_publish: service.AfterPublish | None = None
    today: Callable[[], date] = date.today

    def router(self) -> APIRouter:
        """Return a router with every division-change endpoint mounted."""
        api = APIRouter(prefix="/v1/division-changes", tags=["division changes"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Drafter = Annotated[Any, Depends(self.authorize.roles(*service.DRAFTERS))]
        Reviewer = Annotated[Any, Depends(self.authorize.roles(*service.REVIEWERS))]
        Staff = Annotated[Any, Depends(self.authorize.roles(*service.STAFF))]
        ChangeId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Change id")]

        def created(body: dict) -> Response:
            response = json_response(body)
            response.status_code = 201
            response.headers["Location"] = f"/v1/division-changes/{body['id']}"
            return response

        @api.post(
            "",
            status_code=201,
            response_model=ChangeOut,
            summary="Draft a division change (saved with every problem it has listed)",
            openapi_extra={**_body_doc(ChangeDocument), "x-roles": list(service.DRAFTERS)},
            responses={422: _PROBLEMS},
        )
        async def draft(request: Request, conn: Conn, actor: Drafter):
            body = json_object(await request.body())
            return created(await service.draft(conn, body, actor, self.today()))

        @api.get("", response_model=ChangeList, summary="Division changes by state and code (staff)")
        async def listing(
            request: Request,
            conn: Conn,
            _actor: Staff,
            state: Annotated[str | None, Query(description="draft, submitted, published or rejected")] = None,
            code: Annotated[str | None, Query(description="Only changes touching this code")] = None,
            limit: LimitQuery = None,
            offset: OffsetQuery = 0,
        ):
            found = await service.listing(conn, state, code)
            return paged_response(request, "changes", found, limit, offset)

        @api.get("/{change_id}", response_model=ChangeOut, summary="One division change (staff)")
        async def one(change_id: ChangeId, conn: Conn, _actor: Staff):
            return json_response(await service.read_one(conn, change_id))

        @api.put(
            "/{change_id}",
            response_model=ChangeOut,
            summary="Replace the document of a draft (a rejected change becomes a draft again)",
            openapi_extra={**_body_doc(ChangeDocument), "x-roles": list(service.DRAFTERS)},
            responses={409: {"description": "Not a draft"}, 422: _PROBLEMS},
        )
        async def edit(change_id: ChangeId, request: Request, conn: Conn, actor: Drafter):
            body = json_object(await request.body())
            return json_response(await service.update(conn, change_id, body, actor, self.today()))

        @api.post(
            "/{change_id}/submit",
            response_model=ChangeOut,
            summary="Submit a draft for review (refused, changing nothing, while it has problems)",
            openapi_extra={"x-roles": list(service.DRAFTERS)},
            responses={409: {"description": "Not a draft"}, 422: _PROBLEMS},
        )
        async def submit(change_id: ChangeId, conn: Conn, actor: Drafter):
            return json_response(await service.submit(conn, change_id, actor, self.today()))

        @api.post(
            "/{change_id}/approve",
            response_model=ChangeOut,
            summary="Approve and publish a submitted change (a reviewer other than its author)",
            description="Publishes in one transaction: versions closed and opened, the event and its edges, "
            "boundaries, place-name records, the change-feed entry and its webhook deliveries. The register "
            "is checked again first: a change published since that conflicts refuses this one (409).",
            openapi_extra={**_body_doc(ReviewIn), "x-roles": list(service.REVIEWERS)},
            responses={403: {"description": "Your own change"}, 409: _PROBLEMS},
        )
        async def approve(change_id: ChangeId, request: Request, conn: Conn, actor: Reviewer):
            body = json_object(await request.body(), required=False)
            comment = body.get("comment")
            result = await service.approve(conn, change_id, actor, self.today(), comment, self.after_publish)
            return json_response(result)

        @api.post(
            "/{change_id}/reject",
            response_model=ChangeOut,
            summary="Reject a submitted change with a comment (a reviewer other than its author)",
            openapi_extra={**_body_doc(ReviewIn), "x-roles": list(service.REVIEWERS)},
            responses={403: {"description": "Your own change"}, 409: {"description": "Not submitted"}},
        )
        async def reject(change_id: ChangeId, request: Request, conn: Conn, actor: Reviewer):
            body = json_object(await request.body(), required=False)
            return json_response(await service.reject(conn, change_id, actor, body.get("comment")))

        return api
