"""Forward geocoding: addresses (地址) to the divisions they lay in on a date, one or in batches.

``AddressGeocoder`` keeps one ``AddressIndex`` per data version (the areacodes load, the change
feed and the town load): built on first use, rebuilt when any of them changes. A batch is parsed
in memory; the villages of the towns it found are then read in one query (``VillageCache``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

import asyncpg

from boundaries.errors import InvalidInput
from boundaries.geocode import queries
from boundaries.geocode.index import AddressIndex
from boundaries.geocode.parse import parse
from boundaries.geocode.villages import VillageCache
from boundaries.history import queries as history_queries
from boundaries.history.service import IndexCache
from boundaries.ingest.villages import DATASET as TOWNS

INLINE = 64  # smaller batches are parsed at once: not worth a thread hop
MAX_ADDRESS_CHARS = 500


@dataclass
class AddressItem:
    """One address to geocode, its raw date and where it came from."""

    address: object
    at: object = None
    id: object = None
    line: int | None = None


class AddressGeocoder:
    """Addresses to divisions at a date, from an in-memory index of every name."""

    def __init__(self, index_cache: IndexCache, village_towns: int = 5000) -> None:
        self.index_cache = index_cache
        self.villages = VillageCache(village_towns)
        self._index: AddressIndex | None = None
        self._lock = asyncio.Lock()

    async def index(self, conn: asyncpg.Connection) -> AddressIndex:
        """Return the index for the data ``conn`` sees, building it when that data changed."""
        lineage = await self.index_cache.get(conn)
        towns = await history_queries.data_state(conn, TOWNS)
        key = (lineage.data_version, towns["version"] if towns else None)
        if self._index is None or self._index.key != key:
            async with self._lock:
                if self._index is None or self._index.key != key:
                    rows, spellings = await queries.towns(conn), await queries.town_spellings(conn)
                    self._index = await asyncio.to_thread(AddressIndex, lineage, rows, spellings, key)
        return self._index

    async def geocode(
        self, conn: asyncpg.Connection, items: list[AddressItem], default: str | None, today: date
    ) -> list[dict]:
        """Geocode each item at its own date (else ``default``, else today); bad items get an error."""
        index = await self.index(conn)
        coverage = self.index_cache.loaded.coverage(today)
        fallback = coverage.parse(default)
        work = len(items) > INLINE
        results = (
            await asyncio.to_thread(_parse_all, index, items, coverage, fallback)
            if work
            else _parse_all(index, items, coverage, fallback)
        )
        towns = {r["town"]["code"] for r in results if r.get("town") and r.get("rest")}
        if towns:
            await self.villages.load(conn, towns, index.key)
            for r in results:
                if (
                    r.get("town")
                    and r["rest"]
                    and (found := self.villages.match(r["town"]["code"], r["rest"], r["at"]))
                ):
                    village, length = found
                    r.update(village=village, level="village", code=village["code"], rest=r["rest"][length:])
        return results


def _parse_all(index: AddressIndex, items: list[AddressItem], coverage, fallback: date) -> list[dict]:
    """Parse every item; one that cannot be read gets ``status: invalid`` and its error."""
    memo: dict = {}
    dates: dict = {}
    out = []
    for i, item in enumerate(items):
        try:
            text = _address(item.address)
            raw = item.at
            if raw in (None, ""):
                when = fallback
            elif isinstance(raw, str):
                when = dates[raw] if raw in dates else dates.setdefault(raw, coverage.parse(raw))
            else:
                raise InvalidInput("at", f"at must be a date string YYYY, YYYY-MM or YYYY-MM-DD, got {raw!r}")
            result = parse(index, text, when, memo)
            result["error"] = None
        except InvalidInput as exc:
            result = {
                "address": item.address if isinstance(item.address, str) else None,
                "status": "invalid",
                "error": {"field": exc.field, "message": str(exc)},
            }
        result["index"], result["id"] = i, item.id
        if item.line is not None:
            result["line"] = item.line
        out.append(result)
        if len(memo) > 200_000:
            memo.clear()
    return out


def _address(value) -> str:
    """Return the address text or raise InvalidInput naming ``address``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("address", "address is required: the address text (地址)")
    if len(value) > MAX_ADDRESS_CHARS:
        raise InvalidInput("address", f"address is {len(value)} characters long; at most {MAX_ADDRESS_CHARS}")
    return value
