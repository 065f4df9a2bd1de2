"""The notebooks in notebooks/ run top to bottom against the test database (their cells assert results)."""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from boundaries import ingest_areacodes
from spatial_platform.db import run_on, upgrade
from spatial_platform.embedded import drop_database, ensure_database

NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"


def run(name: str, tmp_path: Path) -> nbformat.NotebookNode:
    for helper in NOTEBOOKS.glob("*.py"):
        shutil.copy(helper, tmp_path)
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    return notebook


@pytest.fixture
def in_test_db(test_db_name, monkeypatch):
    monkeypatch.setenv("SP_DB_NAME", test_db_name)
    monkeypatch.delenv("SP_API_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def test_the_planners_walkthrough_runs_and_writes_the_map(demo, in_test_db, tmp_path):
    run("planner_walkthrough_changsha.ipynb", tmp_path)
    assert (tmp_path / "planning-430100.html").stat().st_size > 100_000


def test_resolving_old_codes_runs(loaded, in_test_db, tmp_path):
    notebook = run("resolving_old_division_codes.ipynb", tmp_path)
    outputs = "".join(str(o) for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "望城县" in outputs and "430112" in outputs


@pytest.fixture(scope="session")
def notebook_db(db_settings, test_db_name, test_dsn, areacodes_path):
    """A throwaway database with the division history: the place-name notebook commits its edits."""
    name = f"{test_db_name}_notebook"
    admin = db_settings.dsn("postgres")
    drop_database(admin, name)
    ensure_database(admin, name)
    upgrade(db_settings.sqlalchemy_url(name))

    run_on(db_settings.dsn(name), lambda conn: ingest_areacodes(conn, areacodes_path))
    yield name
    drop_database(admin, name)


def test_searching_and_editing_place_names_runs(notebook_db, monkeypatch, tmp_path):
    monkeypatch.setenv("SP_DB_NAME", notebook_db)
    monkeypatch.delenv("SP_API_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    notebook = run("searching_and_editing_place_names.ipynb", tmp_path)
    outputs = "".join(str(o) for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "湖南省 长沙市 岳麓区" in outputs and "reload it and apply your change again" in outputs
