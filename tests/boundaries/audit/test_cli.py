"""``spatial-platform audit FILE``: a small table checked against the test database."""

import csv

from typer.testing import CliRunner

from spatial_platform.cli import app


def test_the_audit_command_writes_the_answer_and_prints_the_counts(
    loaded, test_db_name, tmp_path, monkeypatch
):
    monkeypatch.setenv("SP_DB_NAME", test_db_name)
    source = tmp_path / "legacy.csv"
    source.write_text(
        "code,name,when\n430122,望城县,2015\n110101,东城区,\n430104,岳麓县,2020\n999999,,\n43x,,\n",
        encoding="utf-8",
    )
    target = tmp_path / "checked.csv"
    result = CliRunner().invoke(
        app, ["audit", str(source), "--date-col", "when", "--at", "2024", "--out", str(target)]
    )
    assert result.exit_code == 0, result.output
    with target.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["status"] for r in rows] == [
        "not_in_use",
        "valid",
        "name_mismatch",
        "never_existed",
        "malformed",
    ]
    assert rows[0]["successors"] == "430112 望城区 (whole)"
    assert "valid 1, name_mismatch 1, not_in_use 1, never_existed 1, malformed 1 (5 rows)" in result.output


def test_the_audit_command_refuses_a_missing_column(loaded, test_db_name, tmp_path, monkeypatch):
    monkeypatch.setenv("SP_DB_NAME", test_db_name)
    source = tmp_path / "legacy.csv"
    source.write_text("dm,name\n430104,岳麓区\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", str(source)])
    assert result.exit_code == 1 and "no column 'code'" in result.output
