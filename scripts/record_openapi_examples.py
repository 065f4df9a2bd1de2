"""Record the OpenAPI examples from a running server loaded with the real data (README's run command).

    SP_TOKEN=<an admin's token> .venv/bin/python scripts/record_openapi_examples.py http://127.0.0.1:8000

Each operation's example response is a real answer, with long lists cut to their first two
entries and geometries to their first ring's first points; request bodies are real requests of
the test suite. Staff reads are recorded with the admin token in ``SP_TOKEN`` (skipped
without one). Writes ``spatial_platform/openapi_examples.json``, which the app's OpenAPI
document attaches to the operations; the tests check every example against its schema.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import httpx

OUT = Path(__file__).resolve().parents[1] / "spatial_platform" / "openapi_examples.json"

# (method, documented path, concrete request path, request body or None)
RESOLVE = {"items": [{"code": "430122", "at": "2005"}, {"code": "110103", "at": "2005-06-01"}]}
REVERSE = {"points": [{"lon": 112.9389, "lat": 28.1776, "id": "yuelu"}], "at": "2024"}
AUDIT = {"rows": [{"code": "430122", "name": "望城县", "date": "2005"}, {"code": "430112", "name": "望城区"}]}
SITES = {"division": "430104", "p": 2, "radius": 1500, "method": "mclp", "candidate_spacing": 3000}
READS = [
    ("get", "/v1/divisions", "/v1/divisions?level=county&parent=430100&at=2024&limit=2", None),
    ("get", "/v1/divisions/diff", "/v1/divisions/diff?from=2010&to=2012&parent=430100", None),
    ("get", "/v1/divisions/statistical-units", "/v1/divisions/statistical-units?at=2023", None),
    ("post", "/v1/divisions/resolve", "/v1/divisions/resolve", RESOLVE),
    ("get", "/v1/divisions/{code}", "/v1/divisions/430104?at=2024", None),
    ("get", "/v1/divisions/{code}/children", "/v1/divisions/430100/children?at=2024&limit=2", None),
    ("get", "/v1/divisions/{code}/history", "/v1/divisions/430122/history", None),
    ("get", "/v1/divisions/{code}/successors", "/v1/divisions/430122/successors?at=2005", None),
    ("get", "/v1/divisions/{code}/boundary", "/v1/divisions/430104/boundary?at=2024", None),
    ("post", "/v1/divisions/audit", "/v1/divisions/audit?at=2024", AUDIT),
    ("get", "/v1/changes", "/v1/changes?since=70000&limit=1", None),
    ("get", "/v1/changes/{seq}", "/v1/changes/70001", None),
    ("get", "/v1/placenames/search", "/v1/placenames/search?q=yuelu&limit=2", None),
    ("get", "/v1/placenames/suggest", "/v1/placenames/suggest?q=%E5%B2%B3%E9%BA%93&limit=2", None),
    ("get", "/v1/reverse", "/v1/reverse?lon=112.9389&lat=28.1776&at=2024", None),
    ("post", "/v1/reverse", "/v1/reverse", REVERSE),
    ("get", "/v1/facilities", "/v1/facilities?division=430104&limit=2", None),
    ("get", "/v1/planning/coverage", "/v1/planning/coverage?division=430104&radius=1500", None),
    ("get", "/v1/planning/beds-per-1000", "/v1/planning/beds-per-1000?division=430100&target=35", None),
    ("post", "/v1/planning/sites", "/v1/planning/sites", SITES),
    ("get", "/v1/about", "/v1/about", None),
    ("get", "/health", "/health", None),
    ("get", "/v1/placenames/{record_id}", "/v1/placenames/2471", None),
    ("get", "/v1/placenames/{record_id}/history", "/v1/placenames/2471/history", None),
    ("get", "/v1/placenames/{record_id}/versions/{number}", "/v1/placenames/2471/versions/1", None),
    ("get", "/v1/planning/accessibility", "/v1/planning/accessibility?division=430104&radius=1500", None),
    ("get", "/tiles/{layer}.json", "/tiles/divisions.json?at=2005", None),
    ("get", "/ogc", "/ogc", None),
    ("get", "/ogc/conformance", "/ogc/conformance", None),
    ("get", "/ogc/collections/{cid}", "/ogc/collections/counties", None),
    # not /queryables: its answer is a JSON Schema whose $ref to geojson.org a viewer would fetch
    ("get", "/ogc/collections/{cid}/items", "/ogc/collections/counties/items?parent=430100&limit=2", None),
    ("get", "/ogc/collections/{cid}/items/{fid}", "/ogc/collections/counties/items/430104", None),
    (
        "get",
        "/ogc/collections/{cid}/items/{fid}/versions",
        "/ogc/collections/counties/items/430122/versions",
        None,
    ),
]
STAFF_READS = [
    ("get", "/v1/division-changes", "/v1/division-changes?limit=2", None),
    ("get", "/v1/boundary-proposals", "/v1/boundary-proposals", None),
    ("get", "/v1/subscriptions", "/v1/subscriptions?limit=2", None),
    ("get", "/v1/placenames/queue", "/v1/placenames/queue?state=submitted&limit=2", None),
    ("get", "/v1/placenames/{record_id}/audit", "/v1/placenames/2471/audit", None),
]
# Request bodies of writes (as the tests send them); their answers are described by their schemas.
WRITES = {
    ("post", "/v1/placenames"): {
        "name": "岳麓书院",
        "category": "memorial_scenic",
        "division_code": "430104",
        "geometry": {"type": "Point", "coordinates": [112.9394, 28.1829]},
        "meaning": "北宋开宝九年（976年）创建的书院",
    },
    ("post", "/v1/division-changes"): {  # the suite's test case (a made-up document number)
        "kind": "code_change",
        "effective": "2025-06-01",
        "document": {"number": "国函〔2025〕99号", "authority": "国务院", "date": "2025-03-01"},
        "title": "国务院关于同意湖南省调整长沙市部分行政区划的批复（测试）",
        "text": "同意撤销长沙县，设立长沙市长沙区。",
        "ends": ["430121"],
        "starts": [{"code": "430113", "name": "长沙区", "level": "county", "parent": "430100"}],
        "edges": [{"from": "430121", "to": "430113", "relation": "whole"}],
    },
    ("post", "/v1/subscriptions"): {
        "url": "https://receiver.example/hooks/divisions",
        "secret": "a-shared-secret-of-32-characters",
        "description": "民政业务系统 (receives every published change)",
    },
}


def trim(value):
    """Cut long lists to two entries and polygons to a closed triangle of their first ring."""
    if isinstance(value, dict):
        kind, coords = value.get("type"), value.get("coordinates")
        if kind in ("Polygon", "MultiPolygon") and coords:
            ring = coords[0][0] if kind == "MultiPolygon" else coords[0]
            cut = [[*ring[:3], ring[0]]]
            return {**value, "coordinates": [cut] if kind == "MultiPolygon" else cut}
        return {k: trim(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trim(v) for v in value[:2]]
    return value


def main(base: str) -> None:
    """Call each read, keep its trimmed answer, and write the examples file."""
    examples: dict[str, dict] = {}
    token = os.environ.get("SP_TOKEN")
    staff = [(*read, {"Authorization": f"Bearer {token}"}) for read in STAFF_READS] if token else []
    with httpx.Client(base_url=base, timeout=120) as http:
        for method, path, url, body, *headers in [*READS, *staff]:
            r = http.request(method.upper(), url, json=body, headers=headers[0] if headers else None)
            if r.status_code != 200:
                raise SystemExit(f"{method.upper()} {url}: {r.status_code} {r.text[:200]}")
            entry = {"response": trim(r.json()), "request_url": url}
            if body is not None:
                entry["request"] = body
            examples[f"{method} {path}"] = entry
    for (method, path), body in WRITES.items():
        examples[f"{method} {path}"] = {"request": body}
    OUT.write_text(json.dumps(examples, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(examples)} examples to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
