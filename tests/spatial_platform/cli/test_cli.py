"""The command line as a whole: run from any folder, dates as the API takes them, progress in logs."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from spatial_platform.cli import app
from spatial_platform.cli.common import progress_display
from spatial_platform.settings import DatabaseSettings


def test_db_status_run_from_another_folder_finds_the_checkouts_cluster(
    db_settings: DatabaseSettings, test_dsn: str, tmp_path: Path
) -> None:
    executable = Path(sys.executable).with_name("spatial-platform")
    assert executable.exists(), f"the entry point is not installed next to {sys.executable}"
    result = subprocess.run(
        [str(executable), "db", "status"],
        cwd=tmp_path,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    if db_settings.embedded:
        pgdata = db_settings.data_dir.expanduser().resolve() / "pgdata"
        assert "PostgreSQL: running (pid " in output
        assert f"Data directory: {pgdata}" in output
        assert f"Port: {db_settings.db_port}" in output
        assert not (tmp_path / ".spatial-platform").exists()
    else:
        external = make_url(db_settings.dsn()).render_as_string(hide_password=True)
        assert f"External server: {external}" in output
        assert "PostgreSQL: running (version" in output


def _env(db_settings: DatabaseSettings, test_db_name: str) -> dict[str, str]:
    if db_settings.embedded:
        return {"SP_DB_NAME": test_db_name}
    return {"DATABASE_URL": db_settings.dsn(test_db_name)}


def test_boundaries_report_takes_a_year_or_a_month(boundaries_loaded, db_settings, test_db_name) -> None:
    env = _env(db_settings, test_db_name)
    year = CliRunner().invoke(app, ["boundaries", "report", "--at", "1990"], env=env)
    assert year.exit_code == 0, year.output
    assert "Divisions in force on 1990-12-31 without geometry:" in year.output
    month = CliRunner().invoke(app, ["boundaries", "report", "--at", "2024-06"], env=env)
    assert month.exit_code == 0, month.output
    assert "Divisions in force on 2024-06-30 without geometry:" in month.output


def test_boundaries_report_refuses_a_date_that_is_not_one(db_settings, test_db_name) -> None:
    result = CliRunner().invoke(
        app, ["boundaries", "report", "--at", "1990-13"], env=_env(db_settings, test_db_name)
    )
    assert result.exit_code == 2
    assert "--at" in result.output and "no month 13" in result.output


def test_progress_in_logs_is_plain_lines_per_stage_and_every_5_percent(capsys) -> None:
    with progress_display("rows") as progress:
        progress("read", 0, 1)
        for done in range(0, 1001):
            progress("copy rows", done, 1000)
        progress("waiting for the server …", 0, None)
    lines = capsys.readouterr().err.splitlines()
    assert all(line.startswith("  [") for line in lines)
    assert lines[0].endswith("read 0/1 rows (0%)")
    copies = [line for line in lines if "copy rows" in line]
    assert len(copies) == 21
    assert copies[-1].split("] ", 1)[1].startswith("copy rows 1,000/1,000 rows (100%)")
    assert lines[-1].endswith("waiting for the server …")
