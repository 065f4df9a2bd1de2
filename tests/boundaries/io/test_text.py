"""The one CSV reader every importer shares, and the two boundaries importers built on it: batch
reverse geocoding (POST /v1/reverse with text/csv) and ``spatial-platform geocode``."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from boundaries import TextFileError, TooManyRows, check_csv_file, neutralise, read_csv_bytes
from spatial_platform.cli import app
from spatial_platform.cli import geocode as cli_geocode

ROWS = "id,name,lon,lat\n1,天安门,116.3975,39.9087\n2,岳麓区,112.9389,28.1776\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_utf8_with_or_without_bom_and_gbk_gb18030_decode_to_the_same_rows(encoding):
    table = read_csv_bytes(ROWS.encode(encoding))
    assert table.header == ["id", "name", "lon", "lat"]
    assert table.rows[1] == ["2", "岳麓区", "112.9389", "28.1776"] and table.lines == [2, 3]
    assert table.encoding == ("gb18030" if encoding.startswith("gb") else "utf-8-sig")


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (ROWS[:-3].encode(), 3, "line 3 does not end with a line break"),
        (ROWS[:-12].encode(), 3, "line 3 does not end with a line break"),  # also a short row
        (ROWS.replace(",天安门", ',"天安门').encode(), 2, "line 2: a quoted field is never closed"),
        ((ROWS + "3,x\n").encode(), 4, "line 4 has 2 fields, the header has 4"),
        ((ROWS + "3,x,1,2,5\n").encode(), 4, "line 4 has 5 fields, the header has 4"),
        (b"", 1, "the file is empty"),
        (ROWS.encode("utf-16"), 1, "neither UTF-8 text (byte 0xFF at line 1, offset 0"),
        (ROWS.encode() + b"3,\xc3\x28,1,2\n", 4, "byte 0xC3 at line 4, offset"),
    ],
)
def test_damaged_files_are_refused_naming_the_line(data, line, words):
    with pytest.raises(TextFileError) as caught:
        read_csv_bytes(data)
    assert words in str(caught.value) and caught.value.line == line


def test_quoted_line_breaks_blank_lines_and_crlf_are_fine_and_rows_are_counted(tmp_path):
    text = 'id,note\r\n1,"two\r\nlines"\r\n\r\n2,x\r\n'
    table = read_csv_bytes(text.encode())
    assert table.rows == [["1", "two\r\nlines"], ["2", "x"]] and table.lines == [2, 5]
    with pytest.raises(TooManyRows, match="more than 1 rows"):
        read_csv_bytes(text.encode(), max_rows=1)
    (tmp_path / "big.csv").write_bytes(("id,v\n" + "a,1\n" * 300_000).encode("gb18030"))
    assert check_csv_file(tmp_path / "big.csv") == ("utf-8-sig", ["id", "v"], 300_000)


def test_formula_cells_are_neutralised_but_numbers_are_not():
    cells = ["=1+1", "+86 731", "-cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx", "岳麓区"]
    assert [neutralise(c) for c in cells] == [
        "'=1+1",
        "'+86 731",
        "'-cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "岳麓区",
    ]
    assert [neutralise(v) for v in ("-12.5", "+3", "-1e5", -12.5, 7, None)] == [
        "-12.5",
        "+3",
        "-1e5",
        -12.5,
        7,
        None,
    ]


@pytest.mark.anyio
async def test_a_reverse_csv_batch_in_gbk_is_read_and_a_cut_one_refused(reverse_client):
    r = await reverse_client.post(
        "/v1/reverse",
        content=ROWS.encode("gbk"),
        headers={"content-type": "text/csv"},
        params={"at": "2024-06-01"},
    )
    assert r.status_code == 200, r.text
    assert [x["county"]["code"] for x in r.json()["results"]] == ["110101", "430104"]
    r = await reverse_client.post(
        "/v1/reverse", content=ROWS[:-3].encode(), headers={"content-type": "text/csv"}
    )
    assert r.status_code == 422 and r.json()["line"] == 3 and "cut off" in r.json()["detail"]
    r = await reverse_client.post(
        "/v1/reverse", content=b"lon,lat\n\xff112,28\n", headers={"content-type": "text/csv"}
    )
    assert r.status_code == 422 and "neither UTF-8" in r.json()["detail"]


@pytest.fixture
def geocode_cli(monkeypatch, test_db_name, boundaries_loaded, reverse_geocoder):
    monkeypatch.setenv("SP_DB_NAME", test_db_name)
    monkeypatch.setattr(cli_geocode, "make_geocoder", lambda: reverse_geocoder)
    return lambda *args: CliRunner().invoke(app, ["geocode", *map(str, args)])


def test_geocode_reads_gb18030_and_neutralises_formulas_in_its_csv_output(geocode_cli, tmp_path):
    text = ROWS + '3,"=HYPERLINK(""http://evil.example"")",-12.5,28.1\n'
    (tmp_path / "in.csv").write_bytes(text.encode("gb18030"))
    result = geocode_cli(tmp_path / "in.csv", tmp_path / "out.csv", "--at", "2024-06-01")
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out["name"].tolist() == ["天安门", "岳麓区", '\'=HYPERLINK("http://evil.example")']
    assert out["county_code"].tolist()[:2] == ["110101", "430104"] and out["lon"].tolist()[2] == "-12.5"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (ROWS[:-3], "line 3 does not end with a line break"),
        (ROWS + "3,x\n", "line 4 has 2 fields"),
        ("id,lon,lat\n1,\xff\n", "neither UTF-8"),
    ],
)
def test_geocode_refuses_a_damaged_csv_and_writes_nothing(geocode_cli, tmp_path, text, words):
    data = text.encode("latin-1") if "\xff" in text else text.encode()
    (tmp_path / "in.csv").write_bytes(data)
    result = geocode_cli(tmp_path / "in.csv", tmp_path / "out.csv", "--at", "2024-06-01")
    assert result.exit_code == 1 and words in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out.csv").exists()


def test_a_forced_encoding_must_fit_the_whole_file():
    gbk = ROWS.encode("gbk")
    with pytest.raises(TextFileError) as caught:
        read_csv_bytes(gbk, encoding="utf-8")
    assert "not UTF-8 text as its encoding was given (byte 0x" in str(caught.value) and caught.value.line == 2
    assert read_csv_bytes(gbk, encoding="gbk").rows[1][1] == "岳麓区"
    assert read_csv_bytes(ROWS.encode("utf-8-sig"), encoding="UTF8").header == ["id", "name", "lon", "lat"]
    with pytest.raises(TextFileError, match="unsupported encoding 'latin-1'; use utf-8, gb18030 or gbk"):
        read_csv_bytes(gbk, encoding="latin-1")


def test_geocode_takes_a_forced_encoding_and_refuses_a_wrong_one(geocode_cli, tmp_path):
    (tmp_path / "in.csv").write_bytes(ROWS.encode("gbk"))
    args = (tmp_path / "in.csv", tmp_path / "out.csv", "--at", "2024-06-01", "--encoding")
    wrong = geocode_cli(*args, "utf-8")
    assert wrong.exit_code == 1 and "not UTF-8 text" in wrong.output and "at line 2" in wrong.output
    assert not (tmp_path / "out.csv").exists()
    right = geocode_cli(*args, "gbk")
    assert right.exit_code == 0, right.output
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out["name"].tolist() == ["天安门", "岳麓区"]
    assert out["county_code"].tolist() == ["110101", "430104"]
