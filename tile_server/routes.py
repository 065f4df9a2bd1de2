"""HTTP routes for vector tiles, TileJSON and the public web map."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from boundaries import ATTRIBUTION, IndexCache
from tile_server.errors import InvalidTileAddress
from tile_server.service import Pool, TileService

STATIC = Path(__file__).resolve().parent / "static"
MVT = "application/vnd.mapbox-vector-tile"
PAST_MAX_AGE = 3600  # seconds a tile of an ended epoch may be kept without asking again
CHINA_BOUNDS = [73.4, 3.8, 135.1, 53.6]


def _whole(value: str, name: str) -> int:
    """Parse a tile coordinate or raise InvalidTileAddress naming it."""
    if not (value.isascii() and value.isdigit()):
        raise InvalidTileAddress(name, f"{name} must be a whole number, got {value!r}")
    if len(value) > 10:  # beyond any zoom level's grid (and Python's int() digit limit)
        raise InvalidTileAddress(name, f"{name} {value[:20]}… is out of range")
    return int(value)


@dataclass
class TileRouter:
    """Builds the /tiles router; the pool, index and service are swappable fields."""

    get_pool: Callable[[Request], Pool]
    index_cache: IndexCache
    service: TileService
    today: Callable[[], date] = date.today

    async def tile(self, request: Request) -> Response:
        """Return a Mapbox Vector Tile as of ``?at=`` (default today), with ETag and gzip."""
        params = request.path_params
        z, x, y = (_whole(params[name], name) for name in ("z", "x", "y"))
        pool = self.get_pool(request)
        when, today = await self.dates(pool, request.query_params.get("at"))
        found = await self.service.tile(pool, params["layer"], z, x, y, when)
        headers = {"ETag": found.etag, "Cache-Control": self.cache_control(request, found, when, today),
                   "Vary": "Accept-Encoding"}  # fmt: skip
        if request.headers.get("if-none-match") == found.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(found.gzipped, media_type=MVT, headers=headers)
        return Response(found.data, media_type=MVT, headers=headers)

    async def dates(self, pool: Pool, at: str | None) -> tuple[date, date]:
        """Return the requested date (default today) and today, loading the index once."""
        index = self.index_cache.loaded
        if index is None:
            async with pool.acquire() as conn:
                index = await self.index_cache.get(conn)
        today = self.today()
        return index.coverage(today).parse(at), today

    def cache_control(self, request: Request, found, when: date, today: date) -> str:
        """How long a tile may be kept: for ever when its URL names its data version (``v``), an
        hour when its date's epoch is over (it changes only with a correction), else revalidate."""
        if request.query_params.get("v") == str(found.version):
            return "public, max-age=31536000, immutable"
        if self.service.closed(request.path_params["layer"], when, today):
            return f"public, max-age={PAST_MAX_AGE}, stale-while-revalidate=86400"
        return "public, no-cache"

    def router(self) -> APIRouter:
        """Return a router serving tiles and TileJSON for every layer."""
        api = APIRouter(prefix="/tiles", tags=["tiles"])
        At = Annotated[str | None, Query(description="YYYY, YYYY-MM or YYYY-MM-DD; default today")]

        # A plain Starlette route: a warm tile is answered from memory with no dependency
        # injection and no connection taken from the pool.
        api.add_route("/tiles/{layer}/{z}/{x}/{y}.mvt", self.tile, methods=["GET"], name="tile")

        # The same path once more for OpenAPI: requests match the plain route above first, and
        # would get the same answer here.
        @api.get(
            "/{layer}/{z}/{x}/{y}.mvt",
            summary="A Mapbox Vector Tile as of a date",
            response_class=Response,
            responses={200: {"content": {MVT: {}}}, 304: {"description": "If-None-Match matched"}},
        )
        async def tile_documented(request: Request, layer: str, z: int, x: int, y: int, at: At = None):
            return await self.tile(request)

        @api.get("/{layer}.json", summary="TileJSON 3.0 for a layer")
        async def tilejson(layer: str, request: Request, at: At = None):
            """TileJSON; for a past date its tile URLs name the data version, so tiles may be kept."""
            spec = self.service.layer(layer)
            query = f"?at={at}" if at else ""
            if at:
                pool = self.get_pool(request)
                when, today = await self.dates(pool, at)
                version, closed = await self.service.freshness(pool, layer, when, today)
                if closed:
                    query += f"&v={version}"
            base = str(request.base_url).rstrip("/")
            return JSONResponse(
                {
                    "tilejson": "3.0.0",
                    "name": spec.name,
                    "attribution": ATTRIBUTION,
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
                            "fields": spec.field_types(),
                            "field_descriptions": spec.fields,
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
