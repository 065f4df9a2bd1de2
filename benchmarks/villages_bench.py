"""Benchmark: the full town and village load, and batch resolve with towns and villages present.

Run: .venv/bin/python benchmarks/villages_bench.py [--areacodes PATH]
Targets (issue 3): the full load of ~660,000 towns and villages well under 60 s; batch resolve
of 10,000 county codes still >= 50,000 items/s with the villages loaded. Baselines measured in
the same run: inserting 100,000 of the rows under migration 0001's overlap constraint (which
made the full load take about 250 s), rolled back; and a per-item SQL resolution of village
codes (lookup, then the county's lineage walk).
"""

import argparse
import asyncio
import random
import statistics
import time
from datetime import date
from itertools import islice
from pathlib import Path

import asyncpg
from common import fresh_database, rate

from boundaries import LineageIndex, ingest_areacodes, ingest_villages
from boundaries import china_division as cd
from boundaries.history import towns
from boundaries.ingest.villages import _COLUMNS, _records

BENCH_DB = "sp_vil_bench"
BATCH = 10_000
SAMPLE = 100_000

BASELINE_RESOLVE = """
WITH RECURSIVE start AS (
    SELECT c.id FROM division_versions v
    JOIN division_versions c ON c.code = left(v.code, 6) AND c.valid @> $2::date
    WHERE v.code = $1 AND v.valid @> $2::date
), walk AS (
    SELECT s.id, $2::date AS after FROM start s
  UNION
    SELECT e.to_version, e.effective FROM walk w
    JOIN lineage_edges e ON e.from_version = w.id AND e.effective > w.after
)
SELECT DISTINCT v.code, v.name FROM walk w JOIN division_versions v ON v.id = w.id
WHERE v.valid_to IS NULL
"""


_FULL_OVERLAP = """
ALTER TABLE division_versions DROP CONSTRAINT division_versions_no_overlap,
    ADD CONSTRAINT division_versions_no_overlap
    EXCLUDE USING gist (code WITH =, valid WITH &&) DEFERRABLE INITIALLY DEFERRED
"""


async def insert_sample(conn: asyncpg.Connection, package: cd.Package, full_overlap: bool) -> float:
    """Time inserting the first SAMPLE rows (rolled back), under 0001's or 0003's overlap constraint."""
    tx = conn.transaction()
    await tx.start()
    try:
        if full_overlap:
            await conn.execute(_FULL_OVERLAP)
        await conn.execute(
            "CREATE TEMP TABLE b (code varchar(12), name text, level text, parent_code varchar(12), "
            "valid_from date, from_precision text, first_year smallint, last_year smallint)"
        )
        rows = list(islice(_records(package), SAMPLE))
        await conn.copy_records_to_table("b", records=rows, columns=_COLUMNS)
        cols = ", ".join(_COLUMNS)
        t0 = time.perf_counter()
        await conn.execute(f"INSERT INTO division_versions ({cols}, source) SELECT {cols}, 'bench' FROM b")
        await conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        return time.perf_counter() - t0
    finally:
        await tx.rollback()


async def main(areacodes: Path) -> None:
    """Run every measurement and print figures with their baselines and ratios."""
    base = fresh_database(BENCH_DB)
    conn = await asyncpg.connect(base.dsn())
    await ingest_areacodes(conn, areacodes)
    root = cd.unpack(cd.cache_dir(base.data_dir))

    package = cd.read_package(root)
    old_s = await insert_sample(conn, package, full_overlap=True)
    new_s = await insert_sample(conn, package, full_overlap=False)
    print(
        f"insert of the first {SAMPLE:,} rows: {new_s:.1f} s with 0003's overlap constraint, baseline "
        f"{old_s:.1f} s with 0001's (ratio {old_s / new_s:.1f}x; the gap grows with the row count)"
    )
    t0 = time.perf_counter()
    report = await ingest_villages(conn, root)
    load_s = time.perf_counter() - t0
    print(
        f"full load: {report.towns:,} towns + {report.villages:,} villages in {load_s:.1f} s "
        f"(target 60 s: {60 / load_s:.1f}x under)"
    )
    t0 = time.perf_counter()
    again = await ingest_villages(conn, root)
    print(f"re-run with unchanged data: {time.perf_counter() - t0:.1f} s (changed={again.changed})")

    index = await LineageIndex.load(conn)
    print(f"lineage index: {len(index.nodes):,} versions in memory (no towns or villages)")
    rng = random.Random(7)
    counties = [n for n in index.nodes.values() if n.level == "county" and n.valid_at(date(2024, 6, 1))]
    county_items = [{"code": rng.choice(counties).code, "at": "2024-06-01"} for _ in range(BATCH)]
    rows = await conn.fetch("SELECT code FROM division_versions WHERE level = 'village'")
    codes = [r["code"] for r in rows]
    village_items = [{"code": c, "at": "2024-06-01"} for c in rng.sample(codes, BATCH)]
    today = date.today()
    # Issue 2's 50,000 items/s is a target for GB/T 2260 codes, answered from memory; village codes
    # also need one SQL lookup per batch (620,000 of them do not live in memory): a reference only.
    batches = (
        ("county codes", county_items, "target 50,000"),
        ("village codes (SQL lookup included)", village_items, "the county target, for reference"),
    )
    for label, items, target in batches:
        runs = []
        for _ in range(5):
            index._memo.clear()
            index._today.clear()
            t0 = time.perf_counter()
            local = await towns.lookup(conn, towns.batch_codes(items))
            results = index.resolve(items, today, local)
            runs.append(time.perf_counter() - t0)
        assert all(r["found"] for r in results)
        print(f"resolve {BATCH:,} {label}: median {rate(BATCH, statistics.median(runs))} ({target})")

    sample = village_items[:1000]
    t0 = time.perf_counter()
    for item in sample:
        await conn.fetch(BASELINE_RESOLVE, item["code"], date(2024, 6, 1))
    baseline = len(sample) / (time.perf_counter() - t0)
    best = BATCH / statistics.median(runs)
    print(f"baseline per-item SQL for village codes: {baseline:,.0f} items/s (ratio {best / baseline:.0f}x)")
    await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areacodes", type=Path, default=Path("../shared/data/areacodes"))
    asyncio.run(main(parser.parse_args().areacodes))
