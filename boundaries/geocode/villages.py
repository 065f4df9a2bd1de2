"""Villages (村, 社区) of a town, matched at the start of what follows the town in an address.

Villages are not in the automaton (their 600,000 names repeat everywhere): the villages of the
towns a batch found are read in one query and kept in a bounded cache, then each address's
rest is matched against its own town's villages only, the longest name first.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date

import asyncpg

from boundaries.geocode import queries
from boundaries.geocode.names import forms, street_follows

Village = tuple[str, str, date, date | None, tuple[tuple[str, str], ...]]
"""(code, name, valid_from, valid_to, ((key, kind), …) longest key first)."""


class VillageCache:
    """The villages of recently seen towns, at most ``max_towns`` towns."""

    def __init__(self, max_towns: int = 5000) -> None:
        self.max_towns = max_towns
        self._towns: OrderedDict[str, list[Village]] = OrderedDict()
        self.key = None

    async def load(self, conn: asyncpg.Connection, towns: set[str], key) -> None:
        """Make sure the villages of ``towns`` are held (one query for those missing)."""
        if key != self.key:
            self._towns.clear()
            self.key = key
        missing = sorted(t for t in towns if t not in self._towns)
        for town in towns & self._towns.keys():
            self._towns.move_to_end(town)
        if not missing:
            return
        found: dict[str, list[Village]] = {t: [] for t in missing}
        for r in await queries.villages_of(conn, missing):
            keys = tuple(sorted(forms(r["name"], "village"), key=lambda kk: -len(kk[0])))
            found[r["parent_code"]].append((r["code"], r["name"], r["valid_from"], r["valid_to"], keys))
        self._towns.update(found)
        while len(self._towns) > max(self.max_towns, len(towns)):
            self._towns.popitem(last=False)

    def match(self, town: str, rest: str, when: date) -> tuple[dict, int] | None:
        """Return the village of ``town`` in force on ``when`` that ``rest`` starts with, and its length."""
        best = None
        for code, name, start, end, keys in self._towns.get(town, ()):
            if start > when or (end is not None and when >= end):
                continue
            for key, kind in keys:
                if rest.startswith(key) and not street_follows(rest, len(key)):
                    if best is None or len(key) > best[1]:
                        best = ({"code": code, "name": name, "matched": kind, "written": key}, len(key))
                    break
        return best
