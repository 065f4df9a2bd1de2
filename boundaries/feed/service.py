"""Appending to the change feed and reading it in pages."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import orjson

from boundaries.errors import FeedEntryNotFound
from boundaries.feed import queries as q


async def append(conn: asyncpg.Connection, entry: dict, *, source: str = "recorded", change_id=None) -> dict:
    """Give ``entry`` the next sequence number and store it, queueing its webhook deliveries.

    Runs inside the caller's transaction (the publication), under the feed's lock, so sequence
    numbers follow publication order with no gaps.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", q.LOCK)
    seq = await q.head(conn) + 1
    stored = {
        "seq": seq,
        "source": source,
        "change_id": change_id,
        **{k: v for k, v in entry.items() if k not in ("seq", "source", "change_id")},
        "published_at": datetime.now(UTC).isoformat(),
    }
    await q.insert(conn, stored)
    await q.enqueue(conn, seq)
    return stored


async def append_many(conn: asyncpg.Connection, entries: list[dict], source: str) -> int:
    """Append many entries at once (an ingest's), in order, queueing their deliveries; return how many."""
    if not entries:
        return 0
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", q.LOCK)
    first = await q.head(conn) + 1
    now = datetime.now(UTC).isoformat()
    stored = [
        {"seq": first + i, "source": source, "change_id": None, **entry, "published_at": now}
        for i, entry in enumerate(entries)
    ]
    await q.insert_many(conn, stored)
    await q.enqueue_range(conn, first, first + len(stored) - 1)
    return len(stored)


async def page(conn: asyncpg.Connection, since: int, limit: int) -> tuple[list[dict], int]:
    """Return the entries after ``since`` (at most ``limit``) and the feed's head."""
    return [orjson.loads(e) for e in await q.page(conn, since, limit)], await q.head(conn)


async def head(conn: asyncpg.Connection) -> int:
    """Return the feed's last sequence number (0 when empty)."""
    return await q.head(conn)


async def one(conn: asyncpg.Connection, seq: int) -> dict:
    """Return one entry or raise FeedEntryNotFound."""
    found = await q.entry(conn, seq)
    if found is None:
        raise FeedEntryNotFound(f"no change-feed entry {seq}")
    return orjson.loads(found)
