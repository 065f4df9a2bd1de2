"""Towns (9-digit) and villages (12-digit): found in SQL, resolved through their own lineage.

Their history comes from the statistical vintages (2016-2023). Successors follow the town and
village lineage (``town_lineage``); a village with none follows its town; only where that
lineage is unknown (a code the vintages do not explain) do they fall back to the county,
saying so in ``via``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import asyncpg

from boundaries.errors import DivisionNotFound
from boundaries.history import queries
from boundaries.history.service import LineageIndex, Node
from boundaries.history.town_lineage import TownLineage
from boundaries.ingest.villages import DATASET

LOCAL_LEVELS = ("town", "village")
_KIND = {9: "town", 12: "village"}
_COARSER = (4, "prefecture"), (2, "province")


def is_local(code: str) -> bool:
    """Tell whether a (checked) code is a 9-digit town or a 12-digit village code."""
    return len(code) in _KIND


def _pad(prefix: str) -> str:
    """Return the six-digit code a prefix of 2, 4 or 6 digits stands for."""
    return prefix.ljust(6, "0")


@dataclass(frozen=True)
class Via:
    """The county-level (or, failing that, coarser) version a town or village resolves through."""

    node: Node
    at: date
    note: str | None

    def out(self) -> dict:
        """Describe it for JSON."""
        return {"code": self.node.code, "name": self.node.name, "level": self.node.level, "note": self.note}


@dataclass
class LocalCodes:
    """Town and village versions fetched for one request, with the summary of their load."""

    versions: dict[str, list[asyncpg.Record]]
    summary: dict | None
    lineage: TownLineage | None = None

    def _vintages(self) -> str:
        years = [v["year"] for v in (self.summary or {}).get("vintages", [])] or [
            (self.summary or {}).get("vintage")
        ]
        return f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}"

    def require(self, code: str, when: date) -> asyncpg.Record:
        """Return the version of a town or village code at ``when`` or raise saying why not."""
        kind = _KIND[len(code)]
        if self.summary is None:
            raise DivisionNotFound(
                f"{kind} code {code}: town and village codes are not loaded "
                "(run `spatial-platform ingest villages`)"
            )
        known = self.versions.get(code)
        if not known:
            raise DivisionNotFound(
                f"{kind} code {code} is not in the statistical division codes of {self._vintages()}"
            )
        for row in known:
            if row["valid_from"] <= when and (row["valid_to"] is None or when < row["valid_to"]):
                return row
        first = known[0]
        if when >= first["valid_from"]:
            raise DivisionNotFound(f"{kind} code {code} ({first['name']}) was not in use on {when}")
        raise DivisionNotFound(
            f"{kind} code {code} ({first['name']}) is known only from {first['valid_from']}: towns and "
            f"villages come from the statistical division codes (统计用区划代码) of {self._vintages()} "
            f"and have no history before the first vintage; {when} is earlier"
        )

    def statistical_county(self, code: str) -> str | None:
        """Return the name of a county code the statistics use but GB/T 2260 does not have."""
        for county in (self.summary or {}).get("unmatched_counties", []):
            if county["code"] == code:
                return county["name"]
        return None

    def via(self, index: LineageIndex, code: str, when: date) -> Via:
        """Return the version a town or village at ``when`` resolves through, with a note if coarse."""
        county = code[:6]
        node = index.version_at(county, when)
        if node is not None:
            return Via(node, when, None)
        as_of = date.fromisoformat((self.summary or {}).get("as_of", "2023-06-30"))
        node = index.version_at(county, as_of)
        if node is not None:
            note = f"county {county} was not in force on {when}; resolved from its version of {as_of}"
            return Via(node, as_of, note)
        stat = self.statistical_county(county)
        what = f"{county} {stat}" if stat else county
        for width, level in _COARSER:
            node = index.version_at(_pad(code[:width]), when)
            if node is not None:
                note = (
                    f"county code {what} is a statistical unit, not a GB/T 2260 county: "
                    f"resolved through the {level} instead"
                )
                return Via(node, when, note)
        raise DivisionNotFound(f"{code}: no county, prefecture or province {code[:6]} is known on {when}")

    def own_successors(self, code: str, when: date) -> tuple[list[dict], str | None]:
        """Today's towns or villages for ``code`` at ``when`` through their lineage, and a note.

        A village without lineage of its own follows its town (noted). Empty when neither
        reaches today.
        """
        row = self.require(code, when)
        found = self.lineage.successors(row) if self.lineage is not None else []
        if found or len(code) != 12:
            return found, None
        town = self._version_at(code[:9], when)
        if town is None or self.lineage is None:
            return [], None
        found = self.lineage.successors(town)
        return found, (f"village {code} has no lineage of its own: today's towns of its town {code[:9]}"
                       if found else None)  # fmt: skip

    def _version_at(self, code: str, when: date) -> asyncpg.Record | None:
        for row in self.versions.get(code, ()):
            if row["valid_from"] <= when and (row["valid_to"] is None or when < row["valid_to"]):
                return row
        return None

    def resolve_item(self, index: LineageIndex, out: dict, when: date) -> dict:
        """Fill one batch result for a town or village code: its lineage, else through its county."""
        code = out["code"]
        row = self.require(code, when)
        out.update(found=True, name=row["name"], level=row["level"])
        found, note = self.own_successors(code, when)
        if found:
            out["today"] = [{"code": f["code"], "name": f["name"], "relation": f["relation"]} for f in found]
            if note:
                out["via"] = {"code": code[:9], "name": self.versions[code[:9]][-1]["name"], "level": "town",
                              "note": note}  # fmt: skip
            return out
        via = self.via(index, code, when)
        out["via"] = {**via.out(), "note": via.note or f"no town lineage reaches today from {code}: "
                      "today's codes of its county"}  # fmt: skip
        out["today"] = index.today_codes(via.node, via.at)
        return out


async def lookup(conn: asyncpg.Connection, codes: Iterable[str], follow: bool = False) -> LocalCodes:
    """Fetch the versions of the given town and village codes (and their load's summary).

    With ``follow``, also the towns of the villages and the lineage out of every version.
    """
    wanted = {c for c in codes if is_local(c)}
    if follow:
        wanted |= {c[:9] for c in wanted if len(c) == 12}
    versions: dict[str, list[asyncpg.Record]] = {}
    if not wanted:  # a batch of county-level codes only: no round trip
        return LocalCodes(versions, None)
    for row in await queries.local_versions(conn, sorted(wanted)):
        versions.setdefault(row["code"], []).append(row)
    local = LocalCodes(versions, await queries.dataset_summary(conn, DATASET))
    if follow:
        local.lineage = TownLineage()
        await local.lineage.follow(conn, [r for rows in versions.values() for r in rows])
    return local


def batch_codes(items: list) -> list[str]:
    """Return the town and village codes named in a raw resolve batch."""
    return [
        item["code"]
        for item in items
        if isinstance(item, dict) and isinstance(item.get("code"), str) and len(item["code"]) in _KIND
    ]


async def detail(conn: asyncpg.Connection, index: LineageIndex, code: str, when: date) -> dict:
    """Return a town or village at ``when`` with its parent chain up to the province."""
    local = await lookup(conn, [code])
    local.require(code, when)
    row = await queries.version_at(conn, code, when)  # named as spelt at the date
    parents = [dict(p) for p in await queries.parent_chain(conn, code, when)]
    note = None
    if not parents or parents[-1]["level"] != "province":
        via = local.via(index, code, when)
        note = via.note
        top = await queries.version_at(conn, via.node.code, via.at)
        parents += [dict(top), *(dict(p) for p in await queries.parent_chain(conn, via.node.code, via.at))]
    return {**dict(row), "at": when, "parents": parents, "note": note}
