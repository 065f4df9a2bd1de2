"""HTTP routes for vector tiles, TileJSON and the public web map."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from boundaries.service import IndexCache
from tile_server.service import TileService

STATIC = Path(__file__).resolve().parent / "static"
MVT = "application/vnd.mapbox-vector-tile"
CHINA_BOUNDS = [73.4, 3.8, 135.1, 53.6]


@dataclass
class TileRouter:
    """Builds the /tiles router; the connection, index and service are swappable fields."""

    get_connection: Callable
    index_cache: IndexCache
    service: TileService
    today: Callable[[], date] = date.today

    def router(self) -> APIRouter:
        """Return a router serving tiles and TileJSON for every layer."""
        api = APIRouter(prefix="/tiles", tags=["tiles"])
        Conn = Annotated[asyncpg.Connection, Depends(self.get_connection)]
        At = Annotated[str | None, Query(description="YYYY, YYYY-MM or YYYY-MM-DD; default today")]

        @api.get(
            "/{layer}/{z}/{x}/{y}.mvt",
            summary="A Mapbox Vector Tile as of a date",
            response_class=Response,
            responses={200: {"content": {MVT: {}}}},
        )
        async def tile(layer: str, z: int, x: int, y: int, request: Request, conn: Conn, at: At = None):
            index = self.index_cache.loaded or await self.index_cache.get(conn)
            when = index.coverage(self.today()).parse(at)
            found = await self.service.tile(conn, layer, z, x, y, when)
            headers = {"ETag": found.etag, "Cache-Control": "public, no-cache", "Vary": "Accept-Encoding"}
            if request.headers.get("if-none-match") == found.etag:
                return Response(status_code=304, headers=headers)
            if "gzip" in request.headers.get("accept-encoding", ""):
                headers["Content-Encoding"] = "gzip"
                return Response(found.gzipped, media_type=MVT, headers=headers)
            return Response(found.data, media_type=MVT, headers=headers)

        @api.get("/{layer}.json", summary="TileJSON 3.0 for a layer")
        async def tilejson(layer: str, request: Request, at: At = None):
            spec = self.service.layer(layer)
            query = f"?at={at}" if at else ""
            base = str(request.base_url).rstrip("/")
            return JSONResponse(
                {
                    "tilejson": "3.0.0",
                    "name": spec.name,
                    "description": spec.description,
                    "tiles": [f"{base}/tiles/{spec.name}/{{z}}/{{x}}/{{y}}.mvt{query}"],
                    "minzoom": spec.minzoom,
                    "maxzoom": spec.maxzoom,
                    "bounds": CHINA_BOUNDS,
                    "center": [112.9389, 28.1776, 6],
                    "vector_layers": [
                        {
                            "id": spec.name,
                            "description": spec.description,
                            "fields": spec.fields,
                            "minzoom": spec.minzoom,
                            "maxzoom": spec.maxzoom,
                        }
                    ],
                }
            )

        return api


def mount_web_map(app: FastAPI, node_modules: Path) -> None:
    """Serve the web map at / with MapLibre GL JS from the npm install in ``node_modules``."""
    maplibre = node_modules / "maplibre-gl" / "dist"

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/glyphs/{fontstack}/{glyph_range}.pbf", include_in_schema=False)
    async def glyphs(fontstack: str, glyph_range: str) -> Response:
        # Names are Chinese and drawn with the browser's own CJK font (localIdeographFontFamily);
        # an empty glyph set lets the map style declare text without a glyph server.
        return Response(b"", media_type="application/x-protobuf")

    app.mount("/static/app", StaticFiles(directory=STATIC), name="map-app")
    app.mount("/static/maplibre", StaticFiles(directory=maplibre, check_dir=False), name="maplibre")
