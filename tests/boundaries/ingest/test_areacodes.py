"""Ingest of the real areacodes data: fidelity for all 44 years and idempotent re-runs."""

from datetime import date

import pytest

from boundaries.errors import SourceDataError
from boundaries.ingest.areacodes import ingest_areacodes
from boundaries.sources.areacodes import read_tables

pytestmark = pytest.mark.anyio


async def test_the_snapshot_at_each_year_end_equals_that_years_table(conn, areacodes_path):
    tables = read_tables(areacodes_path)
    assert sorted(tables) == list(range(1981, 2025))
    for year, table in tables.items():
        rows = await conn.fetch(
            "SELECT code, name FROM division_versions WHERE valid @> $1::date"
            " AND level IN ('province', 'prefecture', 'county')",
            date(year, 12, 31),
        )
        assert {r["code"]: r["name"] for r in rows} == table, year


async def test_rerunning_the_ingest_changes_nothing(conn, areacodes_path, loaded):
    before = await conn.fetch("SELECT * FROM division_versions ORDER BY id")
    report = await ingest_areacodes(conn, areacodes_path)
    assert report.changed is False
    assert report.data_version == loaded.data_version
    forced = await ingest_areacodes(conn, areacodes_path, force=True)
    assert forced.changed is True
    after = await conn.fetch("SELECT * FROM division_versions ORDER BY id")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    counts = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM change_events) AS events, (SELECT count(*) FROM lineage_edges) AS edges"
    )
    assert (counts["events"], counts["edges"]) == (loaded.events, loaded.edges)


async def test_the_ingest_reports_progress_and_what_it_loaded(conn, areacodes_path):
    stages = []
    report = await ingest_areacodes(
        conn, areacodes_path, progress=lambda s, d, t: stages.append(s), force=True
    )
    assert stages[0] == "read tables" and stages[-1] == "done"
    assert report.years == (1981, 2024)
    assert report.versions > 6000 and report.edges > 4000


async def test_a_wrong_path_is_a_clear_error_and_writes_nothing(conn, tmp_path):
    with pytest.raises(SourceDataError, match="not an areacodes checkout"):
        await ingest_areacodes(conn, tmp_path)
