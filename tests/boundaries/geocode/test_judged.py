"""Accuracy on the judged set: 1,190 addresses generated from the division history with noise."""

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from boundaries.geocode.service import AddressItem

pytestmark = pytest.mark.anyio

JUDGED = Path(__file__).with_name("judged_addresses.csv")


def judged_rows() -> list[dict]:
    with JUDGED.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_judged_set_is_large_and_varied():
    rows = judged_rows()
    noise = Counter(kind for r in rows for kind in r["noise"].split("+") if kind)
    assert len(rows) >= 1000
    assert len({r["at"] for r in rows}) >= 10 and sum(1 for r in rows if r["town"]) >= 400
    for kind in ("no_province", "no_prefecture", "no_county", "short", "wrong_suffix", "old_name",
                 "traditional", "fullwidth", "street", "town_short"):  # fmt: skip
        assert noise[kind] >= 20, kind


async def test_county_accuracy_is_at_least_97_and_town_accuracy_at_least_90_percent(conn, geocoder):
    rows = judged_rows()
    items = [AddressItem(r["address"], r["at"], r["id"]) for r in rows]
    results = await geocoder.geocode(conn, items, None, date(2026, 1, 1))
    county_misses = [
        (r["id"], r["address"], r["county"], (x["county"] or {}).get("code"))
        for r, x in zip(rows, results, strict=True)
        if (x.get("county") or {}).get("code", "") != r["county"]
    ]
    towns = [(r, x) for r, x in zip(rows, results, strict=True) if r["town"]]
    town_misses = [r["id"] for r, x in towns if (x.get("town") or {}).get("code") != r["town"]]
    county_accuracy = 1 - len(county_misses) / len(rows)
    town_accuracy = 1 - len(town_misses) / len(towns)
    print(f"county {county_accuracy:.1%} ({len(county_misses)} wrong), town {town_accuracy:.1%}")
    assert county_accuracy >= 0.97, county_misses[:20]
    assert town_accuracy >= 0.90, town_misses[:20]
