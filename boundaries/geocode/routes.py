"""HTTP routes of forward geocoding: the divisions an address lay in on a date, one or a batch."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from boundaries.geocode import models
from boundaries.geocode.requests import geocode_batch, geocode_one, parse_csv, parse_json
from boundaries.geocode.service import AddressGeocoder
from boundaries.routes import PUBLIC_HEAVY, AtQuery, json_response

_CSV_EXAMPLE = "id,address,at\n1,湖南省长沙市望城县高塘岭镇,1995\n2,襄樊市樊城区人民路1号,2015"


@dataclass
class GeocodeRouter:
    """Builds the /v1/geocode router: addresses to the divisions they lay in at a date."""

    get_connection: Callable
    get_geocoder: Callable
    authorize: Any
    settings: Any  # the geocoding settings: ``max_items`` bounds a batch
    today: Callable[[], date] = date.today

    def router(self) -> APIRouter:
        """Return a router with the single-address and batch endpoints."""
        api = APIRouter(prefix="/v1/geocode", tags=["geocoding"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Caller = Annotated[Any, Depends(self.authorize.actor())]  # a bad token is refused (401)
        Geocoder = Annotated[AddressGeocoder, Depends(self.get_geocoder)]

        @api.get(
            "",
            response_model=models.GeocodeAnswer,
            summary="Province, prefecture, county, town and village an address (地址) lay in at a date",
            responses={
                404: {"description": "No division name in the address"},
                422: {"description": "No address, or a bad date"},
            },
        )
        async def geocode_address(
            conn: Conn,
            geocoder: Geocoder,
            q: Annotated[
                str | None, Query(description="The address, e.g. 湖南省长沙市望城县高塘岭镇")
            ] = None,
            at: AtQuery = None,
        ):
            return json_response(await geocode_one(geocoder, conn, q, at, self.today()))

        @api.post(
            "",
            response_model=models.GeocodeBatchAnswer,
            summary="Geocode up to max_items addresses sent as JSON or CSV (text/csv)",
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": models.GeocodeBatchRequest.model_json_schema()},
                        "text/csv": {"schema": {"type": "string", "example": _CSV_EXAMPLE}},
                    },
                },
                **PUBLIC_HEAVY,
            },
            responses={413: {"description": "More addresses than the batch limit"}},
        )
        async def geocode_addresses(
            request: Request,
            conn: Conn,
            geocoder: Geocoder,
            caller: Caller,
            at: AtQuery = None,
            address_col: Annotated[str, Query(description="CSV column holding the addresses")] = "address",
            date_col: Annotated[str, Query(description="CSV column holding each address's date")] = "at",
        ):
            body = await request.body()
            if "csv" in request.headers.get("content-type", ""):
                items = await run_in_threadpool(
                    parse_csv, body, self.settings.max_items, address_col, date_col
                )
            else:
                items, body_at = await run_in_threadpool(parse_json, body, self.settings.max_items)
                at = at or body_at
            answer = await geocode_batch(geocoder, conn, items, at, self.today())
            return await run_in_threadpool(json_response, answer)

        return api
