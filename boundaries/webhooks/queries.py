"""Every SQL statement of webhook subscriptions and deliveries (asyncpg, values bound as $N)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from boundaries.geometry import queries as _geometry

audit = _geometry.audit
"""Append an entry to the platform's audit log (the one writer of it, shared)."""

# A subscription as shown to admins: never the secret, with its delivery counts.
_SUBSCRIPTION = """
    SELECT s.id, s.url, s.description, s.active, s.after_seq, s.secret <> '' AS secret_set,
           u.name AS created_by, s.created_at,
           count(d.id) FILTER (WHERE d.state = 'pending') AS pending,
           count(d.id) FILTER (WHERE d.state = 'delivered') AS delivered,
           count(d.id) FILTER (WHERE d.state = 'failed') AS failed
    FROM webhook_subscriptions s
    JOIN placename_users u ON u.id = s.created_by
    LEFT JOIN webhook_deliveries d ON d.subscription_id = s.id
"""
_GROUP = " GROUP BY s.id, u.name"


async def lock_feed(conn: asyncpg.Connection) -> None:
    """Wait for feed appends in progress and hold new ones until this transaction ends.

    A subscription created while an entry is being appended would otherwise miss it: the
    append does not see the uncommitted subscription, and the subscription reads the head
    before the entry commits.
    """
    await conn.execute("LOCK TABLE change_feed IN SHARE MODE")


async def feed_head(conn: asyncpg.Connection) -> int:
    """Return the highest seq of the change feed (0 when it is empty)."""
    return await conn.fetchval("SELECT coalesce(max(seq), 0) FROM change_feed")


async def insert_subscription(
    conn: asyncpg.Connection, url: str, secret: str, description: str | None, after_seq: int, actor_id: int
) -> int:
    """Insert an active subscription and return its id."""
    return await conn.fetchval(
        """
        INSERT INTO webhook_subscriptions (url, secret, description, after_seq, created_by)
        VALUES ($1, $2, $3, $4, $5) RETURNING id
        """,
        url,
        secret,
        description,
        after_seq,
        actor_id,
    )


async def enqueue_backlog(conn: asyncpg.Connection, subscription_id: int, after_seq: int) -> int:
    """Queue one delivery for every feed entry after ``after_seq``; return how many were queued."""
    status = await conn.execute(
        """
        INSERT INTO webhook_deliveries (subscription_id, seq)
        SELECT $1, seq FROM change_feed WHERE seq > $2 ORDER BY seq
        ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO NOTHING
        """,
        subscription_id,
        after_seq,
    )
    return int(status.rsplit(" ", 1)[-1])


async def notify_backlog(conn: asyncpg.Connection) -> None:
    """Wake the delivery workers (on commit) to send a new subscription's backlog."""
    await conn.execute("SELECT pg_notify('webhook_deliveries', '')")


async def subscription(conn: asyncpg.Connection, subscription_id: int) -> asyncpg.Record | None:
    """Return one subscription (without its secret), or None."""
    return await conn.fetchrow(f"{_SUBSCRIPTION} WHERE s.id = $1{_GROUP}", subscription_id)


async def subscriptions(conn: asyncpg.Connection, active: bool | None) -> list[asyncpg.Record]:
    """Return the subscriptions (all, or only active or inactive ones), oldest first."""
    return await conn.fetch(
        f"{_SUBSCRIPTION} WHERE $1::boolean IS NULL OR s.active = $1{_GROUP} ORDER BY s.id", active
    )


async def deactivate(conn: asyncpg.Connection, subscription_id: int) -> bool:
    """Deactivate a subscription and stop its pending deliveries; False when there is none."""
    found = await conn.fetchval(
        "UPDATE webhook_subscriptions SET active = false WHERE id = $1 RETURNING id", subscription_id
    )
    if found is None:
        return False
    await conn.execute(
        """
        UPDATE webhook_deliveries SET state = 'failed', last_error = 'subscription deactivated'
        WHERE subscription_id = $1 AND state = 'pending'
        """,
        subscription_id,
    )
    return True


async def deliveries(
    conn: asyncpg.Connection, subscription_id: int, state: str | None, limit: int
) -> list[asyncpg.Record]:
    """Return a subscription's deliveries (optionally in one state), newest seq first."""
    return await conn.fetch(
        """
        SELECT id, seq, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at
        FROM webhook_deliveries
        WHERE subscription_id = $1 AND ($2::text IS NULL OR state = $2)
        ORDER BY seq DESC LIMIT $3
        """,
        subscription_id,
        state,
        limit,
    )


async def attempts(conn: asyncpg.Connection, delivery_ids: list[int]) -> list[asyncpg.Record]:
    """Return the attempts of the given deliveries, in the order they were made."""
    return await conn.fetch(
        """
        SELECT delivery_id, attempt, attempted_at, status, error, duration_ms
        FROM webhook_attempts WHERE delivery_id = ANY($1::bigint[]) ORDER BY delivery_id, id
        """,
        delivery_ids,
    )


# --- the delivery worker -----------------------------------------------------------------


async def claim(conn: asyncpg.Connection, now: datetime, lease_until: datetime, limit: int) -> list:
    """Claim due deliveries, at most one per subscriber: its lowest pending seq.

    A claimed delivery's next attempt moves to ``lease_until``, so no other worker takes it
    while it is being sent (and it is retried then if this worker dies mid-way). Rows another
    worker has locked are skipped; a subscriber's later seq waits while an earlier one is
    pending, so each subscriber receives its entries in seq order. Run inside a transaction.
    """
    return await conn.fetch(
        """
        WITH heads AS (  -- each subscriber's lowest pending seq (reads pending rows only)
            SELECT subscription_id, min(seq) AS seq
            FROM webhook_deliveries WHERE state = 'pending'
            GROUP BY subscription_id
        ), due AS (
            SELECT d.id
            FROM heads h
            JOIN webhook_deliveries d ON d.subscription_id = h.subscription_id AND d.seq = h.seq
            JOIN webhook_subscriptions s ON s.id = d.subscription_id
            WHERE s.active AND d.state = 'pending' AND d.next_attempt_at <= $1
            ORDER BY d.next_attempt_at, d.id
            LIMIT $3
            FOR UPDATE OF d SKIP LOCKED
        )
        UPDATE webhook_deliveries d SET next_attempt_at = $2
        FROM due, webhook_subscriptions s, change_feed f
        WHERE d.id = due.id AND s.id = d.subscription_id AND f.seq = d.seq
        RETURNING d.id, d.subscription_id, d.seq, d.attempts, s.url, s.secret, f.entry::text AS entry
        """,
        now,
        lease_until,
        limit,
    )


async def record_attempt(
    conn: asyncpg.Connection,
    delivery_id: int,
    attempt: int,
    at: datetime,
    status: int | None,
    error: str | None,
    duration_ms: int,
) -> datetime:
    """Log one attempt and return when the delivery's first attempt was made."""
    await conn.execute(
        """
        INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status, error, duration_ms)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        delivery_id,
        attempt,
        at,
        status,
        error,
        duration_ms,
    )
    return await conn.fetchval(
        "SELECT min(attempted_at) FROM webhook_attempts WHERE delivery_id = $1", delivery_id
    )


async def mark_delivered(conn: asyncpg.Connection, delivery_id: int, at: datetime, status: int) -> None:
    """Mark a delivery delivered (the receiver answered 2xx)."""
    await conn.execute(
        """
        UPDATE webhook_deliveries
        SET state = 'delivered', attempts = attempts + 1, last_status = $3, last_error = NULL,
            delivered_at = $2
        WHERE id = $1
        """,
        delivery_id,
        at,
        status,
    )


async def mark_retry(
    conn: asyncpg.Connection,
    delivery_id: int,
    status: int | None,
    error: str | None,
    next_attempt_at: datetime | None,
) -> None:
    """Record a failed attempt: retry at ``next_attempt_at``, or give up (``failed``) when None."""
    await conn.execute(
        """
        UPDATE webhook_deliveries
        SET attempts = attempts + 1, last_status = $2, last_error = $3,
            state = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE state END,
            next_attempt_at = coalesce($4, next_attempt_at)
        WHERE id = $1 AND state = 'pending'
        """,
        delivery_id,
        status,
        error,
        next_attempt_at,
    )
