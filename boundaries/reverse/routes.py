"""HTTP routes of reverse geocoding: the divisions holding one point or a batch at a date."""

from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from boundaries.reverse import models
from boundaries.reverse.requests import parse_csv, parse_json, reverse_batch, reverse_from_memory, reverse_one
from boundaries.reverse.service import ReverseGeocoder
from boundaries.routes import PUBLIC_HEAVY, AtQuery, json_response

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
    settings: Any  # the reverse-geocoding settings: ``max_points`` bounds a batch
    today: Callable[[], date] = date.today

    def router(self) -> APIRouter:
        """Return a router with the single-point and batch reverse-geocoding endpoints."""
        api = APIRouter(prefix="/v1/reverse", tags=["reverse geocoding"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Caller = Annotated[Any, Depends(self.authorize.actor())]  # a bad token is refused (401)
        Geocoder = Annotated[ReverseGeocoder, Depends(self.get_geocoder)]
        connection = asynccontextmanager(self.get_connection)

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
            request: Request,
            geocoder: Geocoder,
            lon: Annotated[str | None, Query(description="Longitude in degrees")] = None,
            lat: Annotated[str | None, Query(description="Latitude in degrees")] = None,
            at: AtQuery = None,
            crs: CrsQuery = None,
        ):
            answer = reverse_from_memory(geocoder, lon, lat, at, crs, self.today())
            if answer is None:  # a connection only when the model must be checked or built
                async with connection(request) as conn:
                    answer = await reverse_one(geocoder, conn, lon, lat, at, crs, self.today())
            return json_response(answer)

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
                batch = await run_in_threadpool(parse_csv, body, self.settings.max_points, lon_col, lat_col)
            else:
                batch, body_at, body_crs = await run_in_threadpool(parse_json, body, self.settings.max_points)
                at, crs = at or body_at, crs or body_crs
            answer = await reverse_batch(geocoder, conn, batch, at, crs, self.today())
            return await run_in_threadpool(json_response, answer)

        return api
