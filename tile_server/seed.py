"""Pre-render tiles into the tile store and export a layer to a PMTiles archive."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import asyncpg
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write

from tile_server import queries
from tile_server.errors import TileOutOfRange
from tile_server.routes import CHINA_BOUNDS
from tile_server.service import OneConnection, TileService

Progress = Callable[[int, int], None]


def parse_zooms(text: str) -> range:
    """Parse ``0-8`` or ``5`` into a range of zoom levels."""
    low, _, high = text.partition("-")
    try:
        lo, hi = int(low), int(high or low)
    except ValueError:
        raise ValueError(f"zooms must look like 0-8 or 5, got {text!r}") from None
    if not 0 <= lo <= hi <= 22:
        raise ValueError(f"zooms must be within 0-22 and ascending, got {text!r}")
    return range(lo, hi + 1)


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Return the tile column and row containing a WGS 84 point at zoom z."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_in_bounds(bounds: list[float], zooms: range) -> Iterator[tuple[int, int, int]]:
    """Yield every z/x/y tile that touches a lon/lat bounding box, zoom by zoom."""
    west, south, east, north = bounds
    for z in zooms:
        x0, y0 = tile_at(west, north, z)
        x1, y1 = tile_at(east, south, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield z, x, y


def check_zooms(service: TileService, layer: str, zooms: range) -> None:
    """Raise TileOutOfRange when the zoom range reaches outside the layer's zooms."""
    spec = service.layer(layer)
    if zooms.start < spec.minzoom or zooms.stop - 1 > spec.maxzoom:
        asked, known = f"{zooms.start}-{zooms.stop - 1}", f"{spec.minzoom}-{spec.maxzoom}"
        raise TileOutOfRange(f"zooms {asked} reach outside the zooms of {layer} ({known})")


async def seed(
    conn: asyncpg.Connection, service: TileService, layer: str, zooms: range, when: date, progress: Progress
) -> tuple[int, int]:
    """Render every tile over China at the given zooms into the tile store; return count, bytes."""
    check_zooms(service, layer, zooms)
    # Tiles seeded for older data can never be served again: drop them first.
    version = await service.version(conn, service.layer(layer))
    await queries.drop_stale_tiles(conn, layer, version)
    tiles = list(tiles_in_bounds(CHINA_BOUNDS, zooms))
    total = 0
    for i, (z, x, y) in enumerate(tiles, 1):
        total += await service.store(conn, layer, z, x, y, when)
        progress(i, len(tiles))
    return len(tiles), total


async def export_pmtiles(
    conn: asyncpg.Connection,
    service: TileService,
    layer: str,
    path: Path,
    zooms: range,
    when: date,
    progress: Progress,
) -> int:
    """Write the layer's non-empty tiles over China to a PMTiles v3 archive; return the count."""
    check_zooms(service, layer, zooms)
    spec = service.layer(layer)
    tiles = sorted(tiles_in_bounds(CHINA_BOUNDS, zooms), key=lambda t: zxy_to_tileid(*t))
    written = 0
    with write(str(path)) as writer:
        for i, (z, x, y) in enumerate(tiles, 1):
            tile = await service.tile(OneConnection(conn), layer, z, x, y, when)
            if tile.data:
                writer.write_tile(zxy_to_tileid(z, x, y), tile.gzipped)
                written += 1
            progress(i, len(tiles))
        west, south, east, north = CHINA_BOUNDS
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_zoom": zooms.start,
                "max_zoom": zooms.stop - 1,
                "min_lon_e7": int(west * 1e7),
                "min_lat_e7": int(south * 1e7),
                "max_lon_e7": int(east * 1e7),
                "max_lat_e7": int(north * 1e7),
                "center_zoom": zooms.start,
                "center_lon_e7": int((west + east) / 2 * 1e7),
                "center_lat_e7": int((south + north) / 2 * 1e7),
            },
            {
                "name": spec.name,
                "description": f"{spec.description} As of {when.isoformat()}.",
                "vector_layers": [
                    {
                        "id": spec.name,
                        "fields": spec.field_types(),
                        "field_descriptions": spec.fields,
                        "minzoom": zooms.start,
                        "maxzoom": zooms.stop - 1,
                    }
                ],
            },
        )
    return written
