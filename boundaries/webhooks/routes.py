"""HTTP routes of webhook subscriptions (admins only): register, list, read, deactivate, delivery log."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from boundaries.routes import LimitQuery, OffsetQuery, json_object, json_response, paged_response
from boundaries.webhooks import service, signing
from boundaries.webhooks.models import DeliveryLog, Subscription, SubscriptionIn, SubscriptionList

ActiveQuery = Annotated[bool | None, Query(description="Only active (true) or inactive (false) ones")]
ADMIN_ONLY = {"x-roles": list(service.ADMINS)}
_SUBSCRIBE_DOC = (
    "Register a receiver for the change feed. Every entry after `after_seq` (default: the "
    "current head, so only changes from now on; `0` replays the whole feed) is POSTed to `url`, "
    "in seq order, and retried with back-off for 24 hours. The secret is stored to sign "
    "deliveries and never returned (`secret_set: true`).\n\n"
    + (signing.__doc__ or "").split("\n", 1)[1].strip()
)


@dataclass
class SubscriptionRouter:
    """Builds /v1/subscriptions; ``authorize.roles("admin")`` guards every endpoint."""

    get_connection: Callable
    authorize: Any

    def router(self) -> APIRouter:
        """Return a router with the webhook subscription endpoints mounted."""
        api = APIRouter(prefix="/v1/subscriptions", tags=["webhooks"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Admin = Annotated[Any, Depends(self.authorize.roles(*service.ADMINS))]
        SubscriptionId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Subscription id")]
        not_found = {404: {"description": "No subscription has this id"}}

        @api.post(
            "",
            status_code=201,
            response_model=Subscription,
            summary="Register a webhook receiver for the change feed (admin)",
            description=_SUBSCRIBE_DOC,
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": SubscriptionIn.model_json_schema()}},
                },
                **ADMIN_ONLY,
            },
            responses={422: {"description": "Bad url, secret, description or after_seq; names the field"}},
        )
        async def subscribe(request: Request, conn: Conn, actor: Admin):
            created = await service.subscribe(conn, json_object(await request.body()), actor)
            response = json_response(created)
            response.status_code = 201
            response.headers["Location"] = f"/v1/subscriptions/{created['id']}"
            return response

        @api.get("", response_model=SubscriptionList, summary="Webhook subscriptions (admin)")
        async def listing(
            conn: Conn,
            _actor: Admin,
            request: Request,
            active: ActiveQuery = None,
            limit: LimitQuery = None,
            offset: OffsetQuery = 0,
        ):
            found = await service.listing(conn, active)
            return paged_response(request, "subscriptions", found, limit, offset)

        @api.get(
            "/{subscription_id}",
            response_model=Subscription,
            summary="One webhook subscription (admin)",
            responses=not_found,
        )
        async def one(subscription_id: SubscriptionId, conn: Conn, _actor: Admin):
            return json_response(await service.read(conn, subscription_id))

        @api.delete(
            "/{subscription_id}",
            response_model=Subscription,
            summary="Deactivate a webhook subscription: its pending deliveries stop (admin)",
            openapi_extra=ADMIN_ONLY,
            responses=not_found,
        )
        async def deactivate(subscription_id: SubscriptionId, conn: Conn, actor: Admin) -> Response:
            return json_response(await service.deactivate(conn, subscription_id, actor))

        @api.get(
            "/{subscription_id}/deliveries",
            response_model=DeliveryLog,
            summary="A subscription's delivery log: each delivery with its attempts (admin)",
            responses=not_found,
        )
        async def deliveries(
            subscription_id: SubscriptionId,
            conn: Conn,
            _actor: Admin,
            state: Annotated[str | None, Query(description="pending, delivered or failed")] = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        ):
            log = await service.delivery_log(conn, subscription_id, state, limit)
            return json_response(log)

        return api
