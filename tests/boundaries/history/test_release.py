"""Releases: the register at a date as a named CSV or JSON file with its checksum."""

import csv
import hashlib
import io

import pytest

pytestmark = pytest.mark.anyio


async def test_a_csv_release_is_named_by_date_and_data_as_of_and_checksummed(client):
    r = await client.get("/v1/divisions/release", params={"at": "2010-12-31"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    as_of = r.headers["x-data-as-of"]
    assert f'filename="divisions-2010-12-31-as-of-{as_of}.csv"' in r.headers["content-disposition"]
    assert r.headers["x-checksum-sha256"] == hashlib.sha256(r.content).hexdigest()
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    by_code = {row["code"]: row for row in rows}
    assert by_code["430122"]["name"] == "望城县"  # 望城区 only from 2011
    assert "430112" not in by_code
    assert by_code["430122"]["parent_code"] == "430100"


async def test_a_json_release_holds_the_same_divisions(client):
    csv_r = await client.get("/v1/divisions/release", params={"at": "2020-06-30"})
    json_r = await client.get("/v1/divisions/release", params={"at": "2020-06-30", "format": "json"})
    doc = json_r.json()
    assert doc["at"] == "2020-06-30" and doc["count"] == len(doc["divisions"])
    assert doc["count"] == len(csv_r.content.decode("utf-8-sig").strip().splitlines()) - 1
    assert json_r.headers["x-checksum-sha256"] == hashlib.sha256(json_r.content).hexdigest()


async def test_an_unknown_format_names_the_field(client):
    r = await client.get("/v1/divisions/release", params={"format": "xlsx"})
    assert r.status_code == 422
    assert r.json()["field"] == "format"
