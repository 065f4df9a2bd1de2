"""Reports on the register: names the official data repeats (kept, listed, never refused)."""

from __future__ import annotations

import asyncpg

SCOPES = {
    "parent": "coalesce(p.parent_code, p.division_code)",
    "county": "p.division_code",
    "prefecture": "left(p.division_code, 4)",
    "province": "left(p.division_code, 2)",
}


async def duplicates(
    conn: asyncpg.Connection, division: str | None = None, scope: str = "parent"
) -> list[asyncpg.Record]:
    """Return groups of published records of one name, category and level within a scope."""
    # ``parent`` is the register's rule (the county for towns, the town for villages); the wider
    # scopes show what place-name practice also avoids, e.g. two 鼓楼区 in one province.
    key = SCOPES[scope]
    return await conn.fetch(
        f"""
        SELECT {key} AS parent, p.name, p.category, p.level,
               min(array_to_string(p.division_path[1:cardinality(p.division_path) - 1], ' ')) AS path,
               array_agg(p.id ORDER BY p.id) AS ids, array_agg(p.code ORDER BY p.id) AS codes
        FROM placenames p
        WHERE p.public_status = 'published' AND ($1::text IS NULL OR p.within_code LIKE $1 || '%')
        GROUP BY 1, 2, 3, 4 HAVING count(*) > 1
        ORDER BY 1, 2
        """,
        division,
    )
