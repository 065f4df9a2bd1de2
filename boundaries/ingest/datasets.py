"""Load a data set once: under its advisory lock, skipped when its checksum is stored already.

Every ingest goes through ``load_once``: it takes the data set's transaction-scoped advisory
lock, compares the checksum with the one in ``dataset_loads``, and only when they differ (or
``force``) runs the ingest's writer and records the new version, checksum and summary.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import orjson

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) while an ingest runs."""


def no_progress(stage: str, done: int, total: int) -> None:
    """Ignore progress (the default of every ingest)."""


@dataclass(frozen=True)
class DatasetLoad:
    """The data set's version and stored summary after a load, and whether this run wrote it."""

    version: int
    summary: dict
    changed: bool


async def load_once(
    conn: asyncpg.Connection,
    name: str,
    checksum: str,
    source_path: str,
    write: Callable[[], Awaitable[dict]],
    *,
    lock: str | None = None,
    years: tuple[int, int] | None = None,
    force: bool = False,
    progress: Progress = no_progress,
) -> DatasetLoad:
    """Run ``write()`` and record the load, in one transaction, unless ``checksum`` is loaded already.

    ``write`` replaces the data set's rows and returns the summary stored with the load. The
    lock is ``ingest {name}`` unless ``lock`` names another; ``years`` (first, last) are stored
    with the load, or, when None, left as they are.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", lock or f"ingest {name}")
        row = await conn.fetchrow(
            "SELECT version, checksum, summary FROM dataset_loads WHERE name = $1", name
        )
        if row and row["checksum"] == checksum and not force:
            progress("unchanged", 1, 1)
            summary = orjson.loads(row["summary"]) if isinstance(row["summary"], str) else row["summary"]
            return DatasetLoad(row["version"], summary, changed=False)
        summary = await write()
        version = (row["version"] if row else 0) + 1
        first_year, last_year = years or (None, None)
        await conn.execute(
            """
            INSERT INTO dataset_loads (name, version, checksum, source_path, first_year,
                                       last_year, loaded_at, summary)
            VALUES ($1, $2, $3, $4, $5, $6, now(), $7::text::jsonb)
            ON CONFLICT (name) DO UPDATE SET version = $2, checksum = $3, source_path = $4,
                first_year = coalesce($5, dataset_loads.first_year),
                last_year = coalesce($6, dataset_loads.last_year),
                loaded_at = now(), summary = $7::text::jsonb
            """,
            name,
            version,
            checksum,
            source_path,
            first_year,
            last_year,
            orjson.dumps(summary).decode(),
        )
    return DatasetLoad(version, summary, changed=True)
