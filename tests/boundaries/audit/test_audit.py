"""Checking another system's table (一致性校验): POST /v1/divisions/audit and the classification."""

import csv
import io
from datetime import date

import pytest

from boundaries import AuditRows, LineageIndex, audit_table
from boundaries.history.towns import LocalCodes

pytestmark = pytest.mark.anyio

ROWS = [
    {"code": "430122", "name": "望城县", "date": "2015"},  # retired in 2011
    {"code": "110101", "name": "东城区", "date": "2024"},
    {"code": "430104", "name": "岳麓县", "date": "2020"},  # the name is wrong
    {"code": "999999", "name": "无此区", "date": "2020"},
    {"code": "43x", "name": "x", "date": "2020"},
    {"code": "430104", "date": "2020-13"},
    {"code": "430104"},  # no date: today
]


async def audit(client, rows, **params):
    r = await client.post("/v1/divisions/audit", json={"rows": rows}, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_worked_example_wangcheng_county_in_2015_is_not_in_use(client):
    body = await audit(client, [{"code": "430122", "name": "望城县", "date": "2015"}])
    row = body["results"][0]
    assert row["status"] == "not_in_use" and row["at"] == "2015-12-31"
    assert row["before"]["name"] == "望城县" and row["before"]["valid_to"].startswith("2011")
    assert row["after"] is None
    assert "retired in 2011" in row["note"]
    assert [(s["code"], s["name"]) for s in row["successors"]] == [("430112", "望城区")]


async def test_a_valid_row_a_name_mismatch_and_a_code_that_never_existed(client):
    body = await audit(client, ROWS[1:4])
    valid, mismatch, never = body["results"]
    assert valid["status"] == "valid" and valid["official_name"] == "东城区"
    assert valid["note"] is None and valid["successors"] == []
    assert mismatch["status"] == "name_mismatch" and mismatch["official_name"] == "岳麓区"
    assert never["status"] == "never_existed" and never["official_name"] is None


async def test_malformed_rows_name_the_field_and_the_rest_are_answered(client):
    body = await audit(client, [*ROWS[4:6], 5, {"code": 430104}, {"code": "430104", "date": "1970"}])
    fields = [(r["status"], r["field"]) for r in body["results"]]
    assert [f for _, f in fields] == ["code", "date", "row", "code", "date"]
    assert {s for s, _ in fields} == {"malformed"}
    assert "43x" in body["results"][0]["note"] and "2020-13" in body["results"][1]["note"]
    assert "covered range" in body["results"][4]["note"]


async def test_input_order_is_kept_and_the_summary_counts_each_status(client):
    rows = ROWS * 3
    body = await audit(client, rows, at="2024")
    assert [r["row"] for r in body["results"]] == list(range(len(rows)))
    assert [r["code"] for r in body["results"]] == [r.get("code") for r in rows]
    assert body["results"][6]["at"] == "2024-12-31"  # no date: the `at` of the request
    summary = body["summary"]
    assert summary == {
        "rows": 21,
        "at": "2024-12-31",
        "valid": 6,
        "name_mismatch": 3,
        "not_in_use": 3,
        "never_existed": 3,
        "malformed": 6,
    }


async def test_csv_in_gives_csv_out_with_the_original_columns(client):
    text = "id,区划代码,名称,日期\n1,430122,望城县,2015\n2,110101,东城区,2024-06\n3,43x,,\n4,430104,岳麓区,\n"
    r = await client.post(
        "/v1/divisions/audit",
        content=text.encode("gb18030"),
        headers={"content-type": "text/csv"},
        params={"code_col": "区划代码", "name_col": "名称", "date_col": "日期", "at": "2020"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    out = list(csv.DictReader(io.StringIO(r.text)))
    assert list(out[0]) == ["id", "区划代码", "名称", "日期", "status", "official_name", "note", "successors"]
    assert [row["id"] for row in out] == ["1", "2", "3", "4"]
    assert [row["status"] for row in out] == ["not_in_use", "valid", "malformed", "valid"]
    assert out[0]["successors"] == "430112 望城区 (whole)" and out[0]["official_name"] == "望城县"
    assert out[3]["official_name"] == "岳麓区"
    assert "not_in_use=1" in r.headers["x-audit-summary"]


async def test_bad_bodies_are_refused_naming_the_field(client):
    r = await client.post("/v1/divisions/audit", json={"items": []})
    assert r.status_code == 422 and r.json()["field"] == "rows"
    r = await client.post(
        "/v1/divisions/audit", content=b"kode,name\n430104,x\n", headers={"content-type": "text/csv"}
    )
    assert r.status_code == 422 and r.json()["field"] == "code_col"
    r = await client.post(
        "/v1/divisions/audit", content=b"code,name\n430104,x", headers={"content-type": "text/csv"}
    )
    assert r.status_code == 422 and "line 2" in r.json()["detail"]


async def test_towns_are_checked_against_the_loaded_towns_and_through_their_county(conn):
    index = await LineageIndex.load(conn)
    town = {"name": "岳麓街道", "level": "town", "valid_from": date(2023, 1, 1), "valid_to": None}
    local = LocalCodes({"430104002": [town]}, {"unmatched_counties": []})
    rows = AuditRows.from_json(
        [
            {"code": "430104002", "name": "岳麓街道", "date": "2024"},
            {"code": "430104002", "name": "别的街道", "date": "2024"},
            {"code": "430104002", "date": "2010"},
            {"code": "430104999", "date": "2024"},
        ]
    )
    result = audit_table(index, rows, date(2024, 12, 31), date.today(), local)
    assert result.statuses() == ["valid", "name_mismatch", "not_in_use", "never_existed"]
    assert [s["code"] for s in result.successors[2]] == ["430104"]
    unloaded = audit_table(
        index, AuditRows.from_json([{"code": "430122001", "date": "2015"}]), date.today(), date.today()
    )
    assert unloaded.statuses() == ["not_in_use"]
    assert [s["code"] for s in unloaded.successors[0]] == ["430112"]
