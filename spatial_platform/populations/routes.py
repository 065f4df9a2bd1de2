"""HTTP route of /v1/populations: file imports by staff."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from placenames import auth
from spatial_platform.facilities.models import ImportReport
from spatial_platform.facilities.routes import IMPORT_ROLES, DryRun, Format, Source, UploadReader, source_name
from spatial_platform.populations.service import import_populations
from spatial_platform.settings import ApiSettings


@dataclass
class PopulationRouter:
    """Builds the population import route; dependencies and ``settings`` (the upload limits) are fields."""

    get_connection: Callable
    authorize: Any
    settings: ApiSettings

    def router(self) -> APIRouter:
        """Return the router with the population import mounted."""
        api = APIRouter(tags=["populations"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        Staff = Annotated[auth.Actor, Depends(self.authorize.roles(*IMPORT_ROLES))]

        @api.post(
            "/v1/populations/import",
            response_model=ImportReport,
            status_code=201,
            openapi_extra={"x-roles": list(IMPORT_ROLES), "x-heavy": True},
        )
        async def import_population_upload(
            request: Request,
            conn: Conn,
            actor: Staff,
            format: Format = None,
            dry_run: DryRun = False,
            source: Source = None,
        ):
            """Import population counts by division and year (or grid cells); any bad row → nothing."""
            name = source_name(source, actor)  # parameters first, then the (large) body
            table = await UploadReader.of(self.settings)(request, format)
            report = await import_populations(conn, table, source=name, dry_run=dry_run)
            return JSONResponse(report.model_dump(), status_code=200 if dry_run else 201)

        return api
