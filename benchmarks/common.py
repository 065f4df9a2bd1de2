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
