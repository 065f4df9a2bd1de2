"""SQL for records, versions, the audit log, users and tokens; every function takes an asyncpg connection."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import orjson

# Content columns as stored, in the order ``content_args`` binds them.
COLUMNS = (
    "name, pinyin, syllables, category, division_code, parent_code, code, level, geom, "
    "meaning, origin, former_names, aliases"
)
_VALUES = (
    "$1, $2, $3, $4, $5, $6, $7, $8, ST_SetSRID(ST_GeomFromGeoJSON($9::text), 4326), "
    "$10, $11, $12::text::jsonb, $13::text::jsonb"
)
# Content read back; geometry and jsonb as text so callers decode them the same way on any connection.
READ = """
    {t}.name, {t}.pinyin, {t}.syllables, {t}.category, {t}.division_code, {t}.parent_code, {t}.code,
    {t}.level, ST_AsGeoJSON({t}.geom)::text AS geometry, {t}.meaning, {t}.origin,
    {t}.former_names::text AS former_names, {t}.aliases::text AS aliases
"""
_PATH = """
    WITH RECURSIVE chain AS (
        (SELECT d.code, d.name, d.parent_code, 0 AS depth FROM division_versions d
         WHERE d.code = $1 ORDER BY d.valid_to IS NULL DESC, d.valid_from DESC LIMIT 1)
      UNION ALL
        SELECT p.code, p.name, p.parent_code, c.depth + 1 FROM chain c
        CROSS JOIN LATERAL (
            SELECT d.code, d.name, d.parent_code FROM division_versions d WHERE d.code = c.parent_code
            ORDER BY d.valid_to IS NULL DESC, d.valid_from DESC LIMIT 1) p
        WHERE c.depth < 6
    )
    SELECT coalesce(array_agg(name ORDER BY depth DESC), '{}') FROM chain
"""


def content_args(content: dict) -> list:
    """Return the 13 bind values of a content dict, in COLUMNS order."""
    geometry = content.get("geometry")
    return [
        content["name"],
        content["pinyin"],
        content["syllables"],
        content["category"],
        content["division_code"],
        content.get("parent_code"),
        content.get("code"),
        content.get("level"),
        orjson.dumps(geometry).decode() if geometry else None,
        content.get("meaning"),
        content.get("origin"),
        orjson.dumps(content.get("former_names") or []).decode(),
        orjson.dumps(content.get("aliases") or []).decode(),
    ]


def decode(row: asyncpg.Record | dict) -> dict:
    """Turn a row read with READ into plain values (GeoJSON and name lists decoded)."""
    out = dict(row)
    for key in ("geometry", "former_names", "aliases"):
        if isinstance(out.get(key), str):
            out[key] = orjson.loads(out[key])
    return out


async def record(conn: asyncpg.Connection, record_id: int, lock: bool = False) -> asyncpg.Record | None:
    """Return a record's head pointer, state and published projection (optionally FOR UPDATE)."""
    return await conn.fetchrow(
        f"""
        SELECT p.id, p.version, p.state, p.published_version, p.public_status, p.created_at,
               p.updated_at, p.division_path, {READ.format(t="p")}
        FROM placenames p WHERE p.id = $1 {"FOR UPDATE" if lock else ""}
        """,
        record_id,
    )


async def version(conn: asyncpg.Connection, record_id: int, number: int) -> asyncpg.Record | None:
    """Return one version with its author's name."""
    return await conn.fetchrow(
        f"""
        SELECT v.record_id AS id, v.version, v.status, v.action, v.author_id, u.name AS author,
               u.role AS author_role, v.created_at, v.reason, {READ.format(t="v")}
        FROM placename_versions v JOIN placename_users u ON u.id = v.author_id
        WHERE v.record_id = $1 AND v.version = $2
        """,
        record_id,
        number,
    )


async def history(conn: asyncpg.Connection, record_id: int, public_only: bool) -> list[asyncpg.Record]:
    """Return every version of a record (or only those the public saw), oldest first."""
    return await conn.fetch(
        """
        SELECT v.version, v.status, v.action, u.name AS author, u.role AS author_role, v.author_id,
               v.created_at, v.reason, v.name
        FROM placename_versions v JOIN placename_users u ON u.id = v.author_id
        WHERE v.record_id = $1 AND (NOT $2 OR v.status IN ('published', 'retired'))
        ORDER BY v.version
        """,
        record_id,
        public_only,
    )


async def public_version_at(conn: asyncpg.Connection, record_id: int, when: datetime) -> int | None:
    """Return the number of the version the public saw at ``when`` (None if none yet)."""
    return await conn.fetchval(
        """
        SELECT max(version) FROM placename_versions
        WHERE record_id = $1 AND status IN ('published', 'retired') AND created_at <= $2
        """,
        record_id,
        when,
    )


async def authors_since_published(conn: asyncpg.Connection, record_id: int, published: int | None) -> set:
    """Return ids of everyone who wrote a version after the last published one."""
    rows = await conn.fetch(
        "SELECT DISTINCT author_id FROM placename_versions WHERE record_id = $1 AND version > $2",
        record_id,
        published or 0,
    )
    return {r["author_id"] for r in rows}


async def insert_record(conn: asyncpg.Connection, state: str) -> int:
    """Create the record row at version 1 and return its id."""
    return await conn.fetchval("INSERT INTO placenames (version, state) VALUES (1, $1) RETURNING id", state)


async def advance(conn: asyncpg.Connection, record_id: int, expected: int, state: str) -> int | None:
    """Move the head to the next version if it is still ``expected``; None when it is not."""
    return await conn.fetchval(
        """
        UPDATE placenames SET version = version + 1, state = $3, updated_at = clock_timestamp()
        WHERE id = $1 AND version = $2 RETURNING version
        """,
        record_id,
        expected,
        state,
    )


async def insert_version(
    conn: asyncpg.Connection,
    record_id: int,
    number: int,
    status: str,
    action: str,
    author_id: int,
    reason: str | None,
    content: dict,
) -> None:
    """Append one full snapshot to the history."""
    await conn.execute(
        f"""
        INSERT INTO placename_versions (record_id, version, status, action, author_id, reason, {COLUMNS})
        VALUES ($14, $15, $16, $17, $18, $19, {_VALUES})
        """,
        *content_args(content),
        record_id,
        number,
        status,
        action,
        author_id,
        reason,
    )


async def publish(conn: asyncpg.Connection, record_id: int, number: int, status: str) -> None:
    """Copy a version into the public projection (search reads it) with its division path."""
    await conn.execute(
        f"""
        UPDATE placenames p SET ({COLUMNS}) = (SELECT {COLUMNS} FROM placename_versions v
                WHERE v.record_id = $1 AND v.version = $2),
            published_version = $2, public_status = $3
        WHERE p.id = $1
        """,
        record_id,
        number,
        status,
    )
    code = await conn.fetchval("SELECT within_code FROM placenames WHERE id = $1", record_id)
    await conn.execute(
        "UPDATE placenames SET division_path = $2 WHERE id = $1", record_id, await division_path(conn, code)
    )


async def division_path(conn: asyncpg.Connection, code: str | None) -> list[str]:
    """Return the names from the province down to ``code`` (湖南省, 长沙市, 岳麓区)."""
    if code is None:
        return []
    return list(await conn.fetchval(_PATH, code))


async def division_known(conn: asyncpg.Connection, code: str) -> bool:
    """Tell whether ``code`` is a division in force today."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM division_versions WHERE code = $1 AND valid_to IS NULL)", code
    )


async def duplicate(
    conn: asyncpg.Connection, name: str, category: str, parent: str, exclude: int | None
) -> asyncpg.Record | None:
    """Return a published record with the same name and category under ``parent``, if any."""
    return await conn.fetchrow(
        """
        SELECT id, name, category, coalesce(parent_code, division_code) AS parent, division_path
        FROM placenames
        WHERE coalesce(parent_code, division_code) = $3 AND category = $2 AND name = $1
          AND public_status = 'published' AND id IS DISTINCT FROM $4
        ORDER BY id LIMIT 1
        """,
        name,
        category,
        parent,
        exclude,
    )


async def lock_name(conn: asyncpg.Connection, name: str, category: str, parent: str) -> None:
    """Serialise writers of the same name under the same parent until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"placename:{parent}:{category}:{name}")


async def audit(
    conn: asyncpg.Connection,
    actor_id: int,
    action: str,
    record_id: int | None = None,
    number: int | None = None,
    detail: dict | None = None,
    token_id: int | None = None,
) -> None:
    """Append one entry to the audit log, with the id of the API token used (None from the CLI)."""
    await conn.execute(
        """
        INSERT INTO placename_audit (actor_id, action, record_id, version, detail, token_id)
        VALUES ($1, $2, $3, $4, $5::text::jsonb, $6)
        """,
        actor_id,
        action,
        record_id,
        number,
        orjson.dumps(detail or {}).decode(),
        token_id,
    )


async def audit_entries(conn: asyncpg.Connection, record_id: int) -> list[asyncpg.Record]:
    """Return the audit log of one record, oldest first."""
    return await conn.fetch(
        """
        SELECT a.id, a.at, u.name AS actor, u.role AS actor_role, a.token_id, a.action, a.version,
               a.detail::text AS detail
        FROM placename_audit a JOIN placename_users u ON u.id = a.actor_id
        WHERE a.record_id = $1 ORDER BY a.id
        """,
        record_id,
    )


async def queue(conn: asyncpg.Connection, state: str) -> list[asyncpg.Record]:
    """Return records whose head is in ``state`` (the review queue), oldest change first."""
    return await conn.fetch(
        """
        SELECT p.id, p.version, p.state, v.name, v.category, v.division_code, u.name AS author,
               p.updated_at
        FROM placenames p
        JOIN placename_versions v ON v.record_id = p.id AND v.version = p.version
        JOIN placename_users u ON u.id = v.author_id
        WHERE p.state = $1 ORDER BY p.updated_at, p.id
        """,
        state,
    )


async def user_named(conn: asyncpg.Connection, name: str) -> asyncpg.Record | None:
    """Return (id, name, role) of the user called ``name``."""
    return await conn.fetchrow("SELECT id, name, role FROM placename_users WHERE name = $1", name)


async def insert_user(conn: asyncpg.Connection, name: str, role: str, rate: float | None = None) -> int:
    """Create a user (with a service client's quota) and return its id."""
    return await conn.fetchval(
        "INSERT INTO placename_users (name, role, rate_per_second) VALUES ($1, $2, $3) RETURNING id",
        name,
        role,
        rate,
    )


async def users(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every user but 'system' with role, tokens usable now, last use and next expiry, by name."""
    return await conn.fetch(
        """
        SELECT u.name, u.role, u.created_at,
               count(t.id) FILTER (WHERE t.revoked_at IS NULL AND t.expires_at > now()) AS active_tokens,
               max(t.last_used_at) AS last_used_at,
               min(t.expires_at) FILTER (WHERE t.revoked_at IS NULL AND t.expires_at > now()) AS next_expiry
        FROM placename_users u LEFT JOIN placename_tokens t ON t.user_id = u.id
        WHERE u.name <> 'system'
        GROUP BY u.id ORDER BY u.name
        """
    )


async def insert_token(
    conn: asyncpg.Connection, user_id: int, token_hash: bytes, ttl_days: int
) -> asyncpg.Record:
    """Store a token digest valid for ``ttl_days``; return its (id, expires_at)."""
    return await conn.fetchrow(
        """
        INSERT INTO placename_tokens (user_id, token_hash, expires_at)
        VALUES ($1, $2, now() + make_interval(days => $3)) RETURNING id, expires_at
        """,
        user_id,
        token_hash,
        ttl_days,
    )


async def revoke_tokens(conn: asyncpg.Connection, user_id: int) -> int:
    """Revoke every token of a user that is not revoked yet; return how many."""
    rows = await conn.fetch(
        "UPDATE placename_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL "
        "RETURNING id",
        user_id,
    )
    return len(rows)


async def token(conn: asyncpg.Connection, token_hash: bytes) -> asyncpg.Record | None:
    """Return a token by digest with its state (revoked_at, expires_at, expired) and its user."""
    return await conn.fetchrow(
        """
        SELECT t.id AS token_id, t.revoked_at, t.expires_at, t.expires_at <= now() AS expired,
               u.id, u.name, u.role, u.rate_per_second
        FROM placename_tokens t JOIN placename_users u ON u.id = t.user_id
        WHERE t.token_hash = $1
        """,
        token_hash,
    )


async def touch_token(conn: asyncpg.Connection, token_id: int) -> None:
    """Record that a token was just used: at most once a minute, skipping a row another request holds."""
    await conn.execute(
        """
        UPDATE placename_tokens SET last_used_at = now() WHERE id = (
            SELECT id FROM placename_tokens WHERE id = $1
              AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
            FOR UPDATE SKIP LOCKED)
        """,
        token_id,
    )
