"""Connection pool and Alembic migrations for the PostGIS database."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import asyncpg
import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from spatial_platform.errors import ServiceUnavailable

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
T = TypeVar("T")


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name,
            encoder=lambda value: orjson.dumps(value).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def create_pool(
    dsn: str, min_size: int, max_size: int, statement_timeout_ms: int | None = None
) -> asyncpg.Pool:
    """Open an asyncpg pool whose json/jsonb values are (de)serialised with orjson.

    With ``statement_timeout_ms`` every statement on the pool's connections is cancelled by the
    server past that many milliseconds (and an idle transaction is ended after twice that).
    """
    server_settings = {}
    if statement_timeout_ms:
        server_settings = {
            "statement_timeout": str(statement_timeout_ms),
            "idle_in_transaction_session_timeout": str(2 * statement_timeout_ms),
        }
    return await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, server_settings=server_settings
    )


class BoundedPool:
    """A pool whose ``acquire()`` waits at most ``timeout`` seconds, then raises ServiceUnavailable."""

    def __init__(self, pool: asyncpg.Pool, timeout: float) -> None:
        self.pool = pool
        self.timeout = timeout

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        """Lend a connection, or answer 503 when none is free within the timeout."""
        try:
            conn = await self.pool.acquire(timeout=self.timeout)
        except TimeoutError:
            raise ServiceUnavailable(
                f"every database connection is busy (waited {self.timeout:g} s); retry shortly"
            ) from None
        try:
            yield conn
        finally:
            await self.pool.release(conn)

    async def close(self) -> None:
        """Close the underlying pool."""
        await self.pool.close()


def alembic_config(sqlalchemy_url: str) -> Config:
    """Build an in-memory Alembic config for the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url.replace("%", "%%"))
    return config


def upgrade(sqlalchemy_url: str, revision: str = "heads") -> None:
    """Apply migrations up to ``revision`` (default: every head)."""
    command.upgrade(alembic_config(sqlalchemy_url), revision)


def current_revision(sqlalchemy_url: str) -> str | None:
    """Return the database's current Alembic revision, or None if unversioned."""
    engine = create_engine(sqlalchemy_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def run_on(dsn: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run ``work(conn)`` on one fresh connection to ``dsn`` (for the CLI) and return its result."""

    async def main() -> T:
        conn = await asyncpg.connect(dsn)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(main())
