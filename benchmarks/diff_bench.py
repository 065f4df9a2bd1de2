"""Benchmark: the whole-country two-date diff (1990 → 2024), in memory from the lineage index.

Run: .venv/bin/python benchmarks/diff_bench.py [--database NAME] [--areacodes PATH]
Target (issue "Keeping divisions current"): <= 200 ms for the diff of every province,
prefecture and county between 1990 and 2024. The baseline measured in the same run computes
the same diff from two SQL snapshots (``queries.snapshot``) and the events read with SQL,
through the same comparison (today's successors from the index), the obvious way to do it.
With ``--database`` an already loaded database is used (nothing is written); otherwise a
throwaway one is created and the areacodes data ingested first.
"""

import argparse
import asyncio
import statistics
import time
from datetime import date
from pathlib import Path

import asyncpg
from common import fresh_database

from boundaries import LineageIndex, ingest_areacodes
from boundaries.history import queries
from boundaries.history.diff import Scope, compare
from spatial_platform.settings import DatabaseSettings

BENCH_DB = "sp_bench_diff"
START, END = date(1990, 12, 31), date(2024, 12, 31)
TARGET_S = 0.200
RUNS = 7

EVENTS_SQL = """
SELECT id, year, kind, effective, precision, doc_number, doc_date, title, old_codes, new_codes
FROM change_events WHERE effective > $1 AND effective <= $2 ORDER BY effective, id
"""


class Row:
    """A snapshot record with attribute access, as ``compare`` reads it."""

    __slots__ = ("code", "level", "name", "parent_code")

    def __init__(self, record) -> None:
        self.code, self.name, self.level, self.parent_code = (
            record["code"],
            record["name"],
            record["level"],
            record["parent_code"],
        )


def clear(index: LineageIndex) -> None:
    """Empty the successor caches, so each run pays for its successors."""
    index._memo.clear()
    index._today.clear()


async def baseline(conn: asyncpg.Connection, index: LineageIndex) -> dict:
    """The same diff from two SQL snapshots and the events read with SQL."""
    before = {r["code"]: Row(r) for r in await queries.snapshot(conn, START, None, None)}
    after = {r["code"]: Row(r) for r in await queries.snapshot(conn, END, None, None)}
    events = [dict(r) for r in await conn.fetch(EVENTS_SQL, START, END)]
    return compare(index, before, after, START, END, Scope(), events)


async def main(database: str | None, areacodes: Path) -> None:
    """Measure the in-memory diff and the SQL baseline; print both with their ratios."""
    if database is None:
        settings = fresh_database(BENCH_DB)
        conn = await asyncpg.connect(settings.dsn())
        t0 = time.perf_counter()
        await ingest_areacodes(conn, areacodes)
        print(f"ingest: {time.perf_counter() - t0:.1f} s")
    else:
        conn = await asyncpg.connect(DatabaseSettings().dsn(database))
    t0 = time.perf_counter()
    index = await LineageIndex.load(conn)
    print(
        f"index load (versions, edges, events): {time.perf_counter() - t0:.2f} s; "
        f"data as of {index.data_as_of}"
    )

    cold, warm, base = [], [], []
    for _ in range(RUNS):
        clear(index)
        t0 = time.perf_counter()
        result = index.diff(START, END, Scope())
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        index.diff(START, END, Scope())
        warm.append(time.perf_counter() - t0)
        clear(index)
        t0 = time.perf_counter()
        expected = await baseline(conn, index)
        base.append(time.perf_counter() - t0)
    assert result == expected, "the in-memory diff differs from the SQL-snapshot diff"
    counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items())
    print(f"whole-country diff {START} → {END}: {counts}; {len(result['events'])} events")
    c, w, b = statistics.median(cold), statistics.median(warm), statistics.median(base)
    print(
        f"in memory, empty successor caches (median of {RUNS}): {c * 1000:.1f} ms "
        f"(best {min(cold) * 1000:.1f} ms)"
    )
    print(f"in memory, warm caches (median of {RUNS}): {w * 1000:.1f} ms")
    print(f"baseline, two SQL snapshots + SQL events (median of {RUNS}): {b * 1000:.1f} ms")
    print(
        f"ratio baseline / in memory (cold): {b / c:.1f}x; "
        f"target {TARGET_S * 1000:.0f} ms / in memory (cold): {TARGET_S / c:.1f}x"
    )
    await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an already loaded database (default: a fresh one, ingested)")
    parser.add_argument("--areacodes", type=Path, default=Path("../shared/data/areacodes"))
    args = parser.parse_args()
    asyncio.run(main(args.database, args.areacodes))
