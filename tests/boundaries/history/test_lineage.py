"""The lineage built from the real data agrees with the upstream summary table."""

import csv
from collections import defaultdict

from boundaries.ingest.areacodes import load_lineage


def test_every_old_to_new_correspondence_matches_result_csv(areacodes_path):
    lineage = load_lineage(areacodes_path)
    out = defaultdict(set)
    for edge in lineage.edges:
        out[edge.old].add((edge.new[0], edge.effective.year))
    by_code = defaultdict(list)
    for version in lineage.versions.values():
        by_code[version.code].append(version)
    mismatches = []
    with open(areacodes_path / "result.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        code, start = row["代码"], int(row["启用时间"])
        end = int(row["变更/弃用时间"] or lineage.last_year + 1)
        (version,) = [
            v
            for v in by_code[code]
            if v.name == row["名称"] and v.first_year <= start and v.last_year + 1 >= end
        ]
        expected = set()
        for item in filter(None, row["新代码"].split(";")):
            new, _, year = item.rstrip("]").partition("[")
            expected.add((new, int(year) if year else end))
        expected = {(c, y) for c, y in expected if not (c == code and y <= version.last_year)}
        mine = {(c, y) for c, y in out[version.key] if start < y <= end}
        if expected != mine:
            mismatches.append((code, row["名称"], sorted(expected), sorted(mine)))
    assert len(rows) > 6800
    assert mismatches == []


def test_official_dates_set_day_precision_and_documents_are_kept(areacodes_path):
    lineage = load_lineage(areacodes_path)
    jizhou = next(v for v in lineage.versions.values() if v.code == "120119")
    assert (jizhou.valid_from.isoformat(), jizhou.from_precision) == ("2016-06-08", "day")
    event = next(e for e in lineage.events if "120119" in e.new_codes)
    assert event.description.doc_number == "国函〔2016〕98号"
    assert event.kind == "code_change"
