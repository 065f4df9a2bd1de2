"""Benchmark: audit of a 1,000,000-row table of real codes, names and dates, in process.

Run: SP_DB_NAME=<database with areacodes> .venv/bin/python benchmarks/audit_bench.py [--rows N]
Target: >= 200,000 rows/s for one audit of 1,000,000 rows. The table is synthetic, built in
process from the real versions: mostly codes in force at a random date with their names, and
names changed, codes retired at the date, codes that never existed, malformed cells and rows
without a date. The baseline measured in the same run is the obvious way: for each row one SQL
query for the code's version in force (or its nearest versions), plus the recursive successor
walk for rows not in use, on a sample, extrapolated.
"""

import argparse
import asyncio
import statistics
import time
from datetime import date

import asyncpg
import numpy as np
from common import SUCCESSORS_SQL, rate

from boundaries import AuditRows, CoveredPeriod, InvalidInput, LineageIndex, audit_table, check_code
from spatial_platform.settings import DatabaseSettings

TARGET = 200_000
SAMPLE = 2_000

ROW_SQL = """
SELECT v.name, v.valid @> $2::date AS in_force, v.valid_from, v.valid_to
FROM division_versions v
WHERE v.code = $1 AND v.level IN ('province', 'prefecture', 'county')
ORDER BY v.valid @> $2::date DESC, abs(v.valid_from - $2::date)
LIMIT 2
"""


def synthetic_table(index: LineageIndex, n: int, seed: int = 11) -> AuditRows:
    """Build ``n`` rows from real versions: ~80 % valid, the rest each kind of problem."""
    rng = np.random.default_rng(seed)
    nodes = [x for x in index.nodes.values()]
    retired = [
        x for x in nodes if x.valid_to is not None and index.version_at(x.code, date(2024, 12, 31)) is None
    ]
    end = date(2024, 12, 31).toordinal()
    kind = rng.choice(6, size=n, p=[0.80, 0.05, 0.08, 0.03, 0.02, 0.02])
    pick = rng.integers(0, len(nodes), size=n)
    gone = rng.integers(0, len(retired), size=n)
    share = rng.random(n)
    iso = {}

    def day(ordinal: int) -> str:
        text = iso.get(ordinal)
        if text is None:
            text = iso[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    codes, names, dates = [], [], []
    for k, p, g, s in zip(kind.tolist(), pick.tolist(), gone.tolist(), share.tolist(), strict=True):
        node = nodes[p]
        if k == 2:  # a retired code at a date after it went out of use
            node = retired[g]
            start, stop = node.valid_to.toordinal(), end + 1
        else:
            start, stop = (
                node.valid_from.toordinal(),
                (node.valid_to.toordinal() if node.valid_to else end + 1),
            )
        when = day(start + int(s * (stop - start)))
        if k == 3:  # never existed
            codes.append(f"{990000 + p % 9999:06d}"), names.append("无此地"), dates.append(when)
        elif k == 4:  # malformed code or date
            bad = p % 2 == 0
            codes.append(node.code[:3] + "x" if bad else node.code), names.append(node.name)
            dates.append(when if bad else when[:4] + "-13")
        else:
            codes.append(node.code)
            names.append(node.name + "县" if k == 1 else node.name)
            dates.append(None if k == 5 else when)
    return AuditRows(codes, names, dates)


async def baseline(
    conn, index: LineageIndex, rows: AuditRows, sample: list[int], at: date
) -> tuple[float, list]:
    """Audit the sample rows one SQL query each (two for rows not in use); return (seconds, statuses)."""
    coverage = index.coverage(date.today())
    out = []
    t0 = time.perf_counter()
    for i in sample:
        code, name, raw = rows.codes[i], rows.names[i], rows.dates[i]
        try:
            check_code(code)
            when = coverage.parse(raw, "date") if raw else at
        except InvalidInput:
            out.append("malformed")
            continue
        found = await conn.fetch(ROW_SQL, code, when)
        if not found:
            out.append("never_existed")
        elif found[0]["in_force"]:
            out.append("valid" if not name or name == found[0]["name"] else "name_mismatch")
        else:
            nearest = max(
                (r for r in found if r["valid_from"] <= when), key=lambda r: r["valid_from"], default=None
            )
            ref = nearest or found[0]
            last = date.fromordinal(ref["valid_to"].toordinal() - 1) if nearest else ref["valid_from"]
            await conn.fetch(SUCCESSORS_SQL, code, last)
            out.append("not_in_use")
    return time.perf_counter() - t0, out


async def main(n: int) -> None:
    """Build the table, audit it, measure the baseline and print both with their ratios."""
    conn = await asyncpg.connect(DatabaseSettings().dsn())
    index = await LineageIndex.load(conn)
    t0 = time.perf_counter()
    rows = synthetic_table(index, n)
    print(
        f"synthetic table: {n:,} rows from {len(index.nodes):,} real versions "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    today = date.today()
    at = CoveredPeriod(index.first_date, today).parse("2024")

    t0 = time.perf_counter()
    result = audit_table(index, rows, at, today)
    first = time.perf_counter() - t0
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = audit_table(index, rows, at, today)
        runs.append(time.perf_counter() - t0)
    warm = statistics.median(runs)
    summary = result.summary()
    counts = ", ".join(f"{k} {v:,}" for k, v in summary.items() if k not in ("rows", "at"))
    print(
        f"audit of {n:,} rows: first call {first:.2f} s ({rate(n, first, 'rows')}), "
        f"median of 3 {warm:.2f} s ({rate(n, warm, 'rows')}); {counts}"
    )
    print(
        f"ratio to target {TARGET:,} rows/s: first {n / first / TARGET:.1f}x, median {n / warm / TARGET:.1f}x"
    )
    t0 = time.perf_counter()
    records = result.records()
    print(f"  (shaping the {len(records):,} JSON records afterwards: {time.perf_counter() - t0:.2f} s)")

    sample = np.random.default_rng(5).choice(n, size=min(SAMPLE, n), replace=False).tolist()
    base_s, statuses = await baseline(conn, index, rows, sample, at)
    agree = sum(s == result.statuses()[i] for s, i in zip(statuses, sample, strict=True))
    base_rate = len(sample) / base_s
    print(
        f"baseline one SQL query per row ({len(sample):,}-row sample, {agree:,} statuses agree): "
        f"{base_rate:,.0f} rows/s, extrapolated {n / base_rate:,.0f} s for {n:,} rows"
    )
    print(
        f"ratio audit / baseline: first call {n / first / base_rate:,.0f}x, "
        f"median {n / warm / base_rate:,.0f}x"
    )
    await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    asyncio.run(main(parser.parse_args().rows))
