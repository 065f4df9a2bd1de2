"""Benchmark: forward geocoding of the judged addresses, against cpca in the same run.

Run (on the database the README's run command loads, towns of every province included):
    SP_DB_NAME=spatial_platform .venv/bin/python benchmarks/geocode_bench.py

Targets (issue 16): county-level accuracy >= 97 %, town-level >= 90 % where towns exist at the
date; >= 5,000 addresses/s in process in batch; a single address p95 <= 10 ms. The baseline
is cpca (PyPI), which parses against one current list of divisions: its county accuracy and
its rate on the same addresses are printed beside ours, as ratios.
"""

import asyncio
import csv
import statistics
import time
from datetime import date
from pathlib import Path

import asyncpg

from boundaries.geocode.service import AddressGeocoder, AddressItem
from boundaries.history.service import IndexCache
from spatial_platform.settings import DatabaseSettings

JUDGED = Path(__file__).resolve().parents[1] / "tests" / "boundaries" / "geocode" / "judged_addresses.csv"
BATCH = 100_000
SINGLES = 2_000


def accuracy(rows, counties, towns) -> tuple[float, float]:
    """County accuracy over all rows, town accuracy over the rows with a town."""
    county = sum(c == r["county"] for r, c in zip(rows, counties, strict=True)) / len(rows)
    with_town = [(r, t) for r, t in zip(rows, towns, strict=True) if r["town"]]
    town = sum(t == r["town"] for r, t in with_town) / len(with_town)
    return county, town


async def main() -> None:
    rows = list(csv.DictReader(JUDGED.open(encoding="utf-8")))
    conn = await asyncpg.connect(DatabaseSettings().dsn())
    geocoder = AddressGeocoder(IndexCache())
    started = time.perf_counter()
    await geocoder.index(conn)
    print(f"index of every name built in {time.perf_counter() - started:.1f} s")
    today = date.today()
    items = [AddressItem(r["address"], r["at"]) for r in rows]
    results = await geocoder.geocode(conn, items, None, today)
    ours = accuracy(
        rows,
        [(x.get("county") or {}).get("code", "") for x in results],
        [(x.get("town") or {}).get("code", "") for x in results],
    )

    import cpca  # the same-run baseline (a test dependency)

    started = time.perf_counter()
    frame = cpca.transform([r["address"] for r in rows])
    cpca_rate = len(rows) / (time.perf_counter() - started)
    theirs = sum(str(c) == r["county"] for r, c in zip(rows, frame["adcode"], strict=True)) / len(rows)
    print(f"judged set: {len(rows)} addresses, {sum(1 for r in rows if r['town'])} with a town")
    print(f"county accuracy: ours {ours[0]:.1%} vs cpca {theirs:.1%} (target 97 %)")
    recent = [i for i, r in enumerate(rows) if r["at"] >= "2020"]
    ours_recent = sum((results[i].get("county") or {}).get("code") == rows[i]["county"] for i in recent)
    cpca_recent = sum(str(frame["adcode"][i]) == rows[i]["county"] for i in recent)
    print(
        f"  of these, the {len(recent)} dated 2020 or later (cpca's own list): "
        f"ours {ours_recent / len(recent):.1%} vs cpca {cpca_recent / len(recent):.1%}"
    )
    print(f"town accuracy:   ours {ours[1]:.1%} (target 90 %; cpca parses no towns)")

    batch = [items[i % len(items)] for i in range(BATCH)]
    started = time.perf_counter()
    await geocoder.geocode(conn, batch, None, today)
    ours_rate = BATCH / (time.perf_counter() - started)
    print(
        f"batch of {BATCH:,}: {ours_rate:,.0f} addresses/s vs cpca {cpca_rate:,.0f}/s "
        f"({ours_rate / cpca_rate:.1f}x; target 5,000/s)"
    )

    times = []
    for item in items[:SINGLES] if len(items) >= SINGLES else (items * 2)[:SINGLES]:
        started = time.perf_counter()
        await geocoder.geocode(conn, [item], None, today)
        times.append((time.perf_counter() - started) * 1000)
    p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[-1]
    print(f"single address: p50 {p50:.2f} ms, p95 {p95:.2f} ms (target p95 10 ms)")
    await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
