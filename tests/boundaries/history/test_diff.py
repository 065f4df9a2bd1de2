"""GET /v1/divisions/diff: what changed between two dates, against the real data in PostGIS."""

import csv
import io
from datetime import date

import pytest

from boundaries.history import queries
from boundaries.history.diff import CSV_COLUMNS, Scope, compare
from boundaries.history.service import LineageIndex

pytestmark = pytest.mark.anyio


def by_change(body, kind):
    return {c["code"]: c for c in body["changes"] if c["change"] == kind}


async def test_changsha_1990_to_2024(client):
    r = await client.get("/v1/divisions/diff", params={"from": "1990", "to": "2024", "parent": "430100"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["levels"]) == (
        "1990-12-31",
        "2024-12-31",
        ["province", "prefecture", "county"],
    )
    retired = by_change(body, "retired")
    assert retired["430122"]["name"] == "望城县"
    assert "430112" in {s["code"] for s in retired["430122"]["successors"]}
    assert {s["relation"] for s in retired["430122"]["successors"]} == {"partial"}
    assert by_change(body, "added")["430112"]["name"] == "望城区"
    recoded = by_change(body, "re-coded")["430112"]
    assert (recoded["old_code"], recoded["old_name"], recoded["new_code"], recoded["new_name"]) == (
        "430122",
        "望城县",
        "430112",
        "望城区",
    )
    assert any(d["doc_number"] and d["title"] for d in recoded["documents"])
    assert all(c["code"].startswith("4301") and c["code"] != "430100" for c in body["changes"])
    assert body["counts"]["retired"] == len(retired)
    event_ids = {e["id"] for e in body["events"]}
    assert all(d["event_id"] in event_ids for c in body["changes"] for d in c["documents"])
    assert all("1990-12-31" < e["effective"] <= "2024-12-31" for e in body["events"])


async def test_a_rename_keeps_its_code_and_names_its_document(client):
    # 1994: 民行批〔1994〕55号, 湖南省酃县更名为炎陵县 (code 430225 kept)
    r = await client.get("/v1/divisions/diff", params={"from": "1990", "to": "2024", "parent": "430200"})
    renamed = by_change(r.json(), "renamed")["430225"]
    assert (renamed["old_name"], renamed["new_name"], renamed["name"]) == ("酃县", "炎陵县", "炎陵县")
    assert "民行批〔1994〕55号" in {d["doc_number"] for d in renamed["documents"]}
    assert "430225" not in by_change(r.json(), "retired")


async def test_one_level_only(client):
    r = await client.get(
        "/v1/divisions/diff", params={"from": "1990", "to": "2024", "parent": "430000", "level": "prefecture"}
    )
    body = r.json()
    assert body["changes"] and {c["level"] for c in body["changes"]} == {"prefecture"}
    # 1994: 大庸市 renamed 张家界市 (430800)
    assert by_change(body, "renamed")["430800"]["new_name"] == "张家界市"


async def test_no_change_between_equal_dates(client):
    r = await client.get("/v1/divisions/diff", params={"from": "2020-05-01", "to": "2020-05-01"})
    assert r.status_code == 200
    assert r.json()["changes"] == [] and r.json()["events"] == []


async def test_csv_has_one_row_per_change(client):
    params = {"from": "1990", "to": "2024", "parent": "430100", "format": "csv"}
    r = await client.get("/v1/divisions/diff", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-data-as-of"] == "2024-12-31"
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    json_body = (await client.get("/v1/divisions/diff", params={**params, "format": "json"})).json()
    assert len(rows) == len(json_body["changes"])
    recoded = next(x for x in rows if x["change"] == "re-coded" and x["old_code"] == "430122")
    assert (recoded["new_code"], recoded["new_name"], recoded["parent_code"]) == (
        "430112",
        "望城区",
        "430100",
    )
    assert "〔" in recoded["documents"] and "2011" in recoded["documents"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2024", "to": "1990"}, "from"),
        ({"to": "2024"}, "from"),
        ({"from": "1975"}, "from"),
        ({"from": "1990", "to": "1990-13"}, "to"),
        ({"from": "1990", "level": "town"}, "level"),
        ({"from": "1990", "level": "hamlet"}, "level"),
        ({"from": "1990", "format": "xml"}, "format"),
        ({"from": "1990", "parent": "43010"}, "parent"),
    ],
)
async def test_bad_diff_requests_name_the_field(client, params, field):
    r = await client.get("/v1/divisions/diff", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field


async def test_the_in_memory_diff_equals_one_from_sql_snapshots(conn):
    index = await LineageIndex.load(conn)
    start, end, scope = date(1990, 12, 31), date(2024, 12, 31), Scope()
    before = {r["code"]: Row(r) for r in await queries.snapshot(conn, start, None, None)}
    after = {r["code"]: Row(r) for r in await queries.snapshot(conn, end, None, None)}
    assert index.diff(start, end, scope) == compare(index, before, after, start, end, scope)


class Row:
    """A snapshot record with attribute access, as ``compare`` reads it."""

    def __init__(self, record):
        self.__dict__.update(dict(record))


def synthetic_index():
    d = date
    versions = [
        _v(1, "110000", "甲省", "province", None, d(1981, 1, 1)),
        _v(2, "110100", "乙市", "prefecture", "110000", d(1981, 1, 1)),
        _v(3, "110200", "丙市", "prefecture", "110000", d(1981, 1, 1)),
        _v(4, "110101", "丁县", "county", "110100", d(1981, 1, 1), d(2000, 1, 1), 1999),
        _v(5, "110101", "丁县", "county", "110200", d(2000, 1, 1)),
    ]
    edges = [
        {
            "id": 1,
            "from_version": 4,
            "to_version": 5,
            "relation": "whole",
            "doubtful": False,
            "effective": d(2000, 1, 1),
            "precision": "year",
            "event_id": 9,
            "kind": "transfer",
            "doc_number": "X〔2000〕1号",
        }
    ]
    events = [
        {
            "id": 9,
            "year": 2000,
            "kind": "transfer",
            "effective": d(2000, 1, 1),
            "precision": "year",
            "doc_number": "X〔2000〕1号",
            "doc_date": d(1999, 12, 1),
            "title": "丁县划归丙市",
            "old_codes": ["110101"],
            "new_codes": ["110101"],
        }
    ]
    return LineageIndex(versions, edges, 1, events)


def _v(id_, code, name, level, parent, start, end=None, last=2024):
    return {
        "id": id_,
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent,
        "valid_from": start,
        "valid_to": end,
        "last_year": last,
    }


def test_a_division_moved_to_another_parent_is_re_parented():
    index = synthetic_index()
    assert index.data_as_of == date(2024, 12, 31)
    body = index.diff(date(1990, 12, 31), date(2024, 12, 31), Scope())
    (change,) = body["changes"]
    assert (change["change"], change["code"], change["parent_code"], change["old_parent_code"]) == (
        "re-parented",
        "110101",
        "110200",
        "110100",
    )
    assert [d["doc_number"] for d in change["documents"]] == ["X〔2000〕1号"]
    assert index.diff(date(2000, 6, 1), date(2024, 12, 31), Scope())["changes"] == []
