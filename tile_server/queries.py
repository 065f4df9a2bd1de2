"""SQL of the tile server outside the layers' own: data versions and the tile store."""

from __future__ import annotations

import asyncpg


async def data_versions(conn: asyncpg.Connection) -> dict[str, int]:
    """Return the current data version of every layer table group."""
    return {r["layer"]: r["version"] for r in await conn.fetch("SELECT layer, version FROM data_versions")}


async def stored_tile(conn: asyncpg.Connection, key: tuple) -> bytes | None:
    """Return a pre-rendered (seeded) tile for (layer, z, x, y, epoch, version), if any."""
    name, z, x, y, epoch, version = key
    return await conn.fetchval(
        "SELECT data FROM tile_store WHERE layer = $1 AND z = $2 AND x = $3 AND y = $4"
        " AND epoch = $5 AND version = $6",
        name,
        z,
        x,
        y,
        str(epoch),
        version,
    )


async def store_tile(conn: asyncpg.Connection, key: tuple, data: bytes) -> None:
    """Keep a rendered tile for (layer, z, x, y, epoch, version) in the tile store (first one wins)."""
    name, z, x, y, epoch, version = key
    await conn.execute(
        "INSERT INTO tile_store (layer, z, x, y, epoch, version, data)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT DO NOTHING",
        name,
        z,
        x,
        y,
        str(epoch),
        version,
        data,
    )


async def drop_stale_tiles(conn: asyncpg.Connection, layer: str, version: int) -> None:
    """Delete a layer's stored tiles of any other data version (they can never be served again)."""
    await conn.execute("DELETE FROM tile_store WHERE layer = $1 AND version <> $2", layer, version)
