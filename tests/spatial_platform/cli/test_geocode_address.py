"""``spatial-platform geocode-address``: a file of addresses gets the divisions of each row's date."""

import csv
from pathlib import Path

from typer.testing import CliRunner

from spatial_platform.cli import app
from tests.spatial_platform.cli.test_cli import _env


def test_each_row_is_read_at_its_own_date_and_bad_rows_are_named(loaded, db_settings, test_db_name, tmp_path):
    source, target = tmp_path / "records.csv", tmp_path / "out.csv"
    source.write_text(
        "id,地址,date\n1,湖南省长沙市望城县高塘岭镇,1995\n2,湖南省长沙市望城县,2015\n3,,2015\n"
        "4,襄樊市樊城区人民路1号,2024-13\n5,襄樊市樊城区人民路1号,2005-06\n",
        encoding="gb18030",
    )
    result = CliRunner().invoke(
        app,
        ["geocode-address", str(source), str(target), "--address-col", "地址", "--date-col", "date"],
        env=_env(db_settings, test_db_name),
    )
    assert result.exit_code == 0, result.output
    assert "unreadable row 3: address is required" in result.output
    assert "unreadable row 4" in result.output and "month 13" in result.output
    assert "5 rows, 3 found" in result.output
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["county_code"] for r in rows] == ["430122", "430112", "", "", "420606"]
    assert rows[0]["geocode_rest"] == "高塘岭镇" and rows[4]["prefecture_name"] == "襄樊市"
    assert rows[2]["geocode_status"] == "invalid"


def test_a_missing_column_is_refused_and_writes_nothing(loaded, db_settings, test_db_name, tmp_path: Path):
    source, target = tmp_path / "records.csv", tmp_path / "out.csv"
    source.write_text("id,addr\n1,长沙县\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["geocode-address", str(source), str(target)], env=_env(db_settings, test_db_name)
    )
    assert result.exit_code == 1
    assert "address_col" in result.output or "no column 'address'" in result.output
    assert not target.exists()
