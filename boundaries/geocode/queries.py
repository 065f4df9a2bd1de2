"""SQL of forward geocoding: town versions and spellings for the index, villages of given towns."""

from __future__ import annotations

import asyncpg


async def towns(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every town version of the statistical vintages."""
    return await conn.fetch(
        """
        SELECT id, code, name, parent_code, valid_from, valid_to, last_year
        FROM division_versions WHERE level = 'town'
        """
    )


async def town_spellings(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Each vintage's spelling of a town version's name (…街道办事处 beside …街道)."""
    return await conn.fetch(
        """
        SELECT s.version_id, s.name
        FROM division_spellings s JOIN division_versions v ON v.id = s.version_id
        WHERE v.level = 'town'
        """
    )


async def villages_of(conn: asyncpg.Connection, towns: list[str]) -> list[asyncpg.Record]:
    """The village versions of the given town codes, every vintage."""
    return await conn.fetch(
        """
        SELECT code, name, parent_code, valid_from, valid_to
        FROM division_versions WHERE level = 'village' AND parent_code = ANY($1::text[])
        """,
        towns,
    )
