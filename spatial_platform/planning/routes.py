"""HTTP routes of /v1/planning; the planning package's only FastAPI import."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse

from placenames.auth import require
from placenames.models import ROLES
from spatial_platform.facilities.models import ELDERLY_KINDS
from spatial_platform.headers import page_policy
from spatial_platform.planning import measures
from spatial_platform.planning.context import Options
from spatial_platform.planning.models import SitesRequest
from spatial_platform.settings import PlanningSettings

Division = Annotated[str, Query(description="Province, prefecture or county code, e.g. 430100.")]
At = Annotated[str | None, Query(description="YYYY (31 Dec), YYYY-MM or YYYY-MM-DD; default today.")]
Radius = Annotated[float, Query(description="Service radius in metres (straight line).", gt=0, le=100_000)]
Band = Annotated[Literal["total", "60+", "65+", "80+"], Query(description="Age band of the population.")]
Kinds = Annotated[
    str | None, Query(description="Comma-separated facility kinds (default: the elderly-care kinds).")
]
Spacing = Annotated[float | None, Query(description="Demand grid spacing in metres (default: automatic).")]


def _json(payload) -> Response:
    """Serialise with orjson (dates as ISO strings, numpy values as numbers)."""
    return Response(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")


def _kinds(value: str | None) -> tuple[str, ...]:
    """Split a comma-separated kinds parameter."""
    if value is None or not value.strip():
        return ELDERLY_KINDS
    return tuple(k.strip() for k in value.split(",") if k.strip())


@dataclass
class PlanningRouter:
    """Builds the /v1/planning router; dependencies and ``settings`` (the limits) are fields."""

    get_connection: Callable
    authorize: Any
    settings: PlanningSettings

    def options(self, band: str, kinds: tuple[str, ...], radius: float, spacing: float | None) -> Options:
        """Return measure options within this router's limits."""
        return Options(
            band=band, kinds=kinds, radius=radius, spacing=spacing, max_points=self.settings.max_demand_points
        )

    def router(self) -> APIRouter:
        """Return a router with every planning endpoint mounted."""
        api = APIRouter(prefix="/v1/planning", tags=["planning"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Caller = Annotated[Any, Depends(self.authorize.actor())]
        heavy = {"x-heavy": True}

        @api.get(
            "/coverage", summary="Share of the older population within a radius of a facility, per division"
        )
        async def coverage(
            conn: Conn,
            division: Division,
            at: At = None,
            radius: Radius = 1000.0,
            band: Band = "60+",
            kinds: Kinds = None,
            spacing: Spacing = None,
        ):
            options = self.options(band, _kinds(kinds), radius, spacing)
            return _json(await measures.coverage_for(conn, division, at, options))

        @api.get("/beds-per-1000", summary="Beds per 1,000 older residents per division against a target")
        async def beds(
            conn: Conn,
            division: Division,
            target: Annotated[float, Query(description="Beds per 1,000 older residents the plan aims for.")],
            at: At = None,
            band: Band = "60+",
            kinds: Kinds = None,
        ):
            options = self.options(band, _kinds(kinds), 1000.0, None)
            return _json(await measures.beds_for(conn, division, at, options, target))

        @api.get("/accessibility", summary="Two-step floating catchment (2SFCA) per division or grid point")
        async def accessibility(
            conn: Conn,
            division: Division,
            at: At = None,
            radius: Radius = 1000.0,
            band: Band = "60+",
            kinds: Kinds = None,
            spacing: Spacing = None,
            decay: Annotated[Literal["none", "gaussian"], Query(description="Distance decay")] = "none",
            sigma: Annotated[
                float | None, Query(description="Gaussian σ in metres (default radius/2)", gt=0)
            ] = None,
            per: Annotated[
                Literal["division", "cell"], Query(description="Also list grid points")
            ] = "division",
        ):
            options = self.options(band, _kinds(kinds), radius, spacing)
            result = await measures.access_for(
                conn, division, at, options, decay, sigma, per, self.settings.max_cells
            )
            return _json(result)

        @api.post(
            "/sites",
            summary="Suggest p new sites by maximal covering (MCLP) or p-median",
            description="Anyone may use the `highs` engine; the slower spopt engines need an API token.",
            openapi_extra={**heavy, "x-roles": ["anyone"]},
        )
        async def sites(body: SitesRequest, conn: Conn, caller: Caller):
            if body.engine != "highs":
                require(caller, ROLES)  # the slow cross-check engines only for known clients
            options = self.options(
                body.band, tuple(body.kinds) if body.kinds else ELDERLY_KINDS, body.radius, None
            )
            result = await measures.sites_for(
                conn,
                body.division,
                body.at,
                options,
                method=body.method,
                p=body.p,
                candidates=body.candidates,
                spacing=body.candidate_spacing,
                max_candidates=self.settings.max_candidates,
                engine=body.engine,
                max_demand=self.settings.siting_max_demand,
                max_pairs=self.settings.pmedian_max_pairs,
            )
            return _json(result)

        @api.get(
            "/map",
            response_class=HTMLResponse,
            summary="Folium map of the area at a date",
            openapi_extra=heavy,
        )
        async def planning_map(
            conn: Conn,
            division: Division,
            at: At = None,
            radius: Radius = 1000.0,
            band: Band = "60+",
            suggest: Annotated[
                int, Query(description="Suggest this many sites (MCLP); 0 for none", ge=0, le=50)
            ] = 5,
        ):
            page = await measures.planning_map(conn, division, at, radius=radius, suggest=suggest, band=band)
            # Its own policy: the folium page loads Leaflet from CDNs and runs inline scripts.
            return HTMLResponse(page, headers={"Content-Security-Policy": page_policy(page)})

        return api
