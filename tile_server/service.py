"""Tile rendering with a cache keyed by layer, tile, validity epoch and data version."""

from __future__ import annotations

import gzip
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import asyncpg

from tile_server import queries
from tile_server.errors import TileOutOfRange, UnknownLayer
from tile_server.layers import Layer, default_layers


@dataclass(frozen=True)
class Tile:
    """A rendered tile: raw and gzip bytes and the ETag that names its content."""

    data: bytes
    gzipped: bytes
    etag: str
    version: int = 0


class TileCache:
    """An in-memory LRU of rendered tiles bounded by total bytes."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[tuple, Tile] = OrderedDict()

    def get(self, key: tuple) -> Tile | None:
        """Return a cached tile and mark it recently used."""
        tile = self._items.get(key)
        if tile is not None:
            self._items.move_to_end(key)
        return tile

    def put(self, key: tuple, tile: Tile) -> None:
        """Store a tile, evicting the least recently used past the byte budget."""
        if key in self._items:
            return
        self._items[key] = tile
        self.size += len(tile.data) + len(tile.gzipped)
        while self.size > self.max_bytes and self._items:
            _, old = self._items.popitem(last=False)
            self.size -= len(old.data) + len(old.gzipped)

    def clear(self) -> None:
        """Drop every cached tile."""
        self._items.clear()
        self.size = 0


class Pool(Protocol):
    """Anything that lends connections like ``asyncpg.Pool.acquire()``."""

    def acquire(self):
        """Return an async context manager that yields a connection."""


class OneConnection:
    """A pool of one already open connection (seeding, exports and tests)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        """Lend the connection."""
        yield self.conn


class TileService:
    """Renders MVT tiles from PostGIS; dates in the same validity epoch share cached tiles."""

    def __init__(self, layers: dict[str, Layer] | None = None, cache: TileCache | None = None):
        self.layers = layers or default_layers()
        self.cache = cache or TileCache()
        self._epochs: dict[str, tuple[int, list[date]]] = {}
        self._versions: dict[str, int] | None = None

    def invalidate(self) -> None:
        """Forget the known data versions: the next tile re-reads them from the database."""
        self._versions = None

    def layer(self, name: str) -> Layer:
        """Return a layer or raise UnknownLayer listing the known ones."""
        if name not in self.layers:
            known = ", ".join(sorted(self.layers))
            raise UnknownLayer(f"unknown layer {name!r}; known layers: {known}")
        return self.layers[name]

    @staticmethod
    def check_tile(layer: Layer, z: int, x: int, y: int) -> None:
        """Raise TileOutOfRange when z/x/y is not a tile of this layer's grid."""
        if not layer.minzoom <= z <= layer.maxzoom:
            raise TileOutOfRange(f"zoom {z} is outside {layer.name}'s {layer.minzoom}-{layer.maxzoom}")
        if not (0 <= x < 2**z and 0 <= y < 2**z):
            raise TileOutOfRange(f"tile {z}/{x}/{y} is outside the zoom-{z} grid (0-{2**z - 1})")

    async def version(self, conn: asyncpg.Connection, layer: Layer) -> int:
        """Return the data version of the layer's tables, read again after any invalidation."""
        versions = self._versions
        if versions is None:
            versions = await queries.data_versions(conn)
            self._versions = versions
        return layer.version_of(versions)

    async def epoch(self, conn: asyncpg.Connection, layer: Layer, version: int, when: date) -> int:
        """Return the validity epoch a date falls in (dates between the same changes share it)."""
        if layer.epoch_sql is None:
            return 0
        cached = self._epochs.get(layer.name)
        if cached is None or cached[0] != version:
            bounds = [r[0] for r in await conn.fetch(layer.epoch_sql)]
            cached = (version, bounds)
            self._epochs[layer.name] = cached
        return bisect_right(cached[1], when)

    def cached(self, layer: Layer, z: int, x: int, y: int, when: date) -> Tile | None:
        """Return the tile from memory when the data versions and epochs are known, without SQL."""
        versions = self._versions
        if versions is None:
            return None
        version = layer.version_of(versions)
        if layer.epoch_sql is None:
            return self.cache.get((layer.name, z, x, y, 0, version))
        epochs = self._epochs.get(layer.name)
        if epochs is None or epochs[0] != version:
            return None
        return self.cache.get((layer.name, z, x, y, bisect_right(epochs[1], when), version))

    def closed(self, name: str, when: date, today: date) -> bool:
        """Tell whether ``when`` lies in an epoch that ended by ``today`` (known epochs only).

        Such a tile changes only when the data version does (a correction of the past).
        """
        epochs = self._epochs.get(name)
        if epochs is None:
            return False
        i = bisect_right(epochs[1], when)
        return i < len(epochs[1]) and epochs[1][i] <= today

    async def freshness(self, pool: Pool, name: str, when: date, today: date) -> tuple[int, bool]:
        """Return the layer's data version and whether ``when``'s epoch has ended by ``today``."""
        layer = self.layer(name)
        async with pool.acquire() as conn:
            version = await self.version(conn, layer)
            await self.epoch(conn, layer, version, when)
        return version, self.closed(name, when, today)

    async def tile(self, pool: Pool, name: str, z: int, x: int, y: int, when: date) -> Tile:
        """Return the tile: from memory, else from the tile store, else rendered in SQL."""
        layer = self.layer(name)
        self.check_tile(layer, z, x, y)
        tile = self.cached(layer, z, x, y, when)
        if tile is not None:
            return tile
        async with pool.acquire() as conn:
            version = await self.version(conn, layer)
            epoch = await self.epoch(conn, layer, version, when)
            key = (name, z, x, y, epoch, version)
            tile = self.cache.get(key)
            if tile is None:
                tile = await self._stored(conn, key) or await self.render(conn, layer, key, when)
                self.cache.put(key, tile)
        return tile

    async def _stored(self, conn: asyncpg.Connection, key: tuple) -> Tile | None:
        """Return a pre-rendered (seeded) tile from the tile store, if any."""
        data = await queries.stored_tile(conn, key)
        return None if data is None else make_tile(data, key)

    async def render(self, conn: asyncpg.Connection, layer: Layer, key: tuple, when: date) -> Tile:
        """Encode one tile in SQL with the layer's prepared statement."""
        _, z, x, y, _, _ = key
        data = await conn.fetchval(layer.sql, *layer.args(z, x, y, when))
        return make_tile(bytes(data or b""), key)

    async def store(self, conn: asyncpg.Connection, name: str, z: int, x: int, y: int, when: date) -> int:
        """Render a tile into the tile store (seeding); return its size in bytes."""
        layer = self.layer(name)
        version = await self.version(conn, layer)
        key = (name, z, x, y, await self.epoch(conn, layer, version, when), version)
        tile = await self.render(conn, layer, key, when)
        await queries.store_tile(conn, key, tile.data)
        return len(tile.data)


def make_tile(data: bytes, key: tuple) -> Tile:
    """Wrap tile bytes with their gzip form and an ETag derived from the cache key."""
    name, z, x, y, epoch, version = key
    etag = f'"{name}-{z}-{x}-{y}-e{epoch}-v{version}"'
    return Tile(data, gzip.compress(data, 6), etag, version)
