"""Pieces every benchmark script needs: a throwaway database, a free port, a rate format."""

from __future__ import annotations

import socket

from spatial_platform.db import upgrade
from spatial_platform.embedded import EmbeddedCluster, drop_database, ensure_database
from spatial_platform.settings import DatabaseSettings


def fresh_database(name: str) -> DatabaseSettings:
    """Start the embedded cluster if it is the store, recreate database ``name``, migrate it."""
    base = DatabaseSettings()
    if base.embedded:
        EmbeddedCluster(base).start()
    drop_database(base.dsn("postgres"), name)
    ensure_database(base.dsn("postgres"), name)
    upgrade(base.sqlalchemy_url(name))
    external = None if base.embedded else base.dsn(name)
    return base.model_copy(update={"db_name": name, "database_url": external})


def free_port() -> int:
    """Return a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rate(n: int, seconds: float, unit: str = "items") -> str:
    """Format a throughput."""
    return f"{n / seconds:,.0f} {unit}/s"


# The baseline of the resolve and audit benchmarks: today's successors of one code by one
# recursive query over the lineage edges (what a client would do row by row).
SUCCESSORS_SQL = """
WITH RECURSIVE start AS (
    SELECT id FROM division_versions WHERE code = $1 AND valid @> $2::date
), walk AS (
    SELECT s.id, $2::date AS after FROM start s
  UNION
    SELECT e.to_version, e.effective FROM walk w
    JOIN lineage_edges e ON e.from_version = w.id AND e.effective > w.after
)
SELECT DISTINCT v.code, v.name FROM walk w JOIN division_versions v ON v.id = w.id
WHERE v.valid_to IS NULL
"""
