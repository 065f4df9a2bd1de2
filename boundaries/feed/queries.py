"""SQL of the change feed; every function takes an asyncpg connection."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
import orjson

LOCK = "change feed"


async def head(conn: asyncpg.Connection) -> int:
    """Return the last sequence number (0 for an empty feed)."""
    return await conn.fetchval("SELECT coalesce(max(seq), 0) FROM change_feed")


async def insert(conn: asyncpg.Connection, entry: dict) -> None:
    """Store one entry (its seq, source, change id, kind and effective date are columns too)."""
    await conn.execute(
        """
        INSERT INTO change_feed (seq, source, change_id, kind, effective, published_at, entry)
        VALUES ($1, $2, $3, $4, $5::text::date, $6::text::timestamptz, $7::text::jsonb)
        """,
        entry["seq"],
        entry["source"],
        entry["change_id"],
        entry["kind"],
        entry["effective"],
        entry["published_at"],
        orjson.dumps(entry).decode(),
    )


async def insert_many(conn: asyncpg.Connection, entries: list[dict]) -> None:
    """Store many entries with one COPY."""
    await conn.copy_records_to_table(
        "change_feed",
        records=[
            (e["seq"], e["source"], e["kind"], date.fromisoformat(e["effective"]),
             datetime.fromisoformat(e["published_at"]), orjson.dumps(e).decode())
            for e in entries
        ],
        columns=["seq", "source", "kind", "effective", "published_at", "entry"],
    )  # fmt: skip


async def enqueue_range(conn: asyncpg.Connection, first: int, last: int) -> None:
    """Queue the deliveries of entries ``first``..``last`` to every active subscriber; wake the workers."""
    await conn.execute(
        """
        INSERT INTO webhook_deliveries (subscription_id, seq)
        SELECT s.id, f.seq FROM webhook_subscriptions s
        JOIN change_feed f ON f.seq BETWEEN $1 AND $2 AND f.seq > s.after_seq
        WHERE s.active
        """,
        first,
        last,
    )
    await conn.execute("SELECT pg_notify('change_feed', $1::text)", str(last))


async def enqueue(conn: asyncpg.Connection, seq: int) -> int:
    """Queue one webhook delivery of entry ``seq`` per active subscriber; wake the delivery workers."""
    status = await conn.execute(
        """
        INSERT INTO webhook_deliveries (subscription_id, seq)
        SELECT id, $1 FROM webhook_subscriptions WHERE active AND after_seq < $1
        """,
        seq,
    )
    await conn.execute("SELECT pg_notify('change_feed', $1::text)", str(seq))
    return int(status.split()[-1])


async def page(conn: asyncpg.Connection, since: int, limit: int) -> list[str]:
    """Return the entries after ``since`` in order, as stored JSON text."""
    rows = await conn.fetch(
        "SELECT entry::text AS entry FROM change_feed WHERE seq > $1 ORDER BY seq LIMIT $2", since, limit
    )
    return [r["entry"] for r in rows]


async def entry(conn: asyncpg.Connection, seq: int) -> str | None:
    """Return one entry as stored JSON text."""
    return await conn.fetchval("SELECT entry::text FROM change_feed WHERE seq = $1", seq)


async def by_source(conn: asyncpg.Connection, source: str, limit: int | None = None) -> list[str]:
    """Return the entries of one source in order (all, or the first ``limit``), as stored JSON text."""
    rows = await conn.fetch(
        "SELECT entry::text AS entry FROM change_feed WHERE source = $1 ORDER BY seq LIMIT $2", source, limit
    )
    return [r["entry"] for r in rows]


async def areacodes_history(conn: asyncpg.Connection, dataset: str) -> tuple[list, list, list]:
    """Return the versions, events and edges one dataset loaded (events in date order)."""
    versions = await conn.fetch(
        """
        SELECT id, code, name, level, parent_code, valid_from, valid_to, from_precision, to_precision
        FROM division_versions WHERE source = $1 ORDER BY code, valid_from
        """,
        dataset,
    )
    events = await conn.fetch(
        """
        SELECT id, kind, effective, precision, doc_number, doc_date, authority, title, description,
               old_codes, new_codes
        FROM change_events WHERE dataset = $1 ORDER BY effective, id
        """,
        dataset,
    )
    edges = await conn.fetch(
        """
        SELECT e.event_id, e.from_version, e.to_version, e.relation,
               a.code AS from_code, a.name AS from_name, b.code AS to_code, b.name AS to_name
        FROM lineage_edges e
        JOIN change_events ev ON ev.id = e.event_id AND ev.dataset = $1
        JOIN division_versions a ON a.id = e.from_version
        JOIN division_versions b ON b.id = e.to_version
        ORDER BY e.event_id, a.code, b.code
        """,
        dataset,
    )
    return versions, events, edges
