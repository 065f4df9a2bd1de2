"""Webhook subscriptions: register (checked), list, read, deactivate, and the delivery log.

Only admins call these (a subscription reveals a receiver). The secret is stored, because every
delivery is signed with it, but never returned: answers say ``secret_set: true``. Each write is
recorded in the platform's audit log (``webhook.subscribe``, ``webhook.deactivate``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg

from boundaries.errors import InvalidInput, SubscriptionNotFound
from boundaries.webhooks import queries as q

ADMINS = ("admin",)
STATES = ("pending", "delivered", "failed")
MIN_SECRET = 16
MAX_SECRET = 1000
MAX_URL = 2000
MAX_DESCRIPTION = 2000


def check_url(value) -> str:
    """Return the URL if it is http(s) with a host; 422 on field ``url`` otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("url", "url is required: the http(s) address each feed entry is POSTed to")
    url = value.strip()
    if len(url) > MAX_URL:
        raise InvalidInput("url", f"url is longer than {MAX_URL:,} characters")
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # a bad port raises ValueError
    except ValueError as exc:
        raise InvalidInput("url", f"url is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("url", f"url must start with http:// or https://, got {url!r}")
    if not host:
        raise InvalidInput("url", f"url must name a host, got {url!r}")
    if any(c.isspace() for c in url):
        raise InvalidInput("url", "url must not contain spaces")
    return url


def check_secret(value) -> str:
    """Return the secret if it is a string of 16 to 1,000 characters; 422 on field ``secret``."""
    if not isinstance(value, str) or len(value) < MIN_SECRET:
        raise InvalidInput("secret", f"secret must be a string of at least {MIN_SECRET} characters")
    if len(value) > MAX_SECRET:
        raise InvalidInput("secret", f"secret is longer than {MAX_SECRET:,} characters")
    return value


def _description(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("description", "description must be a string")
    if len(value) > MAX_DESCRIPTION:
        raise InvalidInput("description", f"description is longer than {MAX_DESCRIPTION:,} characters")
    return value.strip() or None


def _after_seq(value, head: int) -> int:
    if value is None:
        return head
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("after_seq", "after_seq must be a whole number, 0 or more")
    if value > head:
        raise InvalidInput("after_seq", f"after_seq {value} is beyond the feed head, {head}")
    return value


def _out(row: asyncpg.Record) -> dict:
    return dict(row)


async def _one(conn: asyncpg.Connection, subscription_id: int) -> dict:
    row = await q.subscription(conn, subscription_id)
    if row is None:
        raise SubscriptionNotFound(f"no webhook subscription {subscription_id}")
    return _out(row)


async def _audit(conn: asyncpg.Connection, actor, action: str, sub: dict, **extra) -> None:
    detail = {"subscription": sub["id"], "url": sub["url"], **extra}
    if getattr(actor, "token_id", None) is not None:
        detail["token"] = actor.token_id
    await q.audit(conn, actor.id, f"webhook.{action}", detail)


async def subscribe(conn: asyncpg.Connection, body: dict, actor) -> dict:
    """Register a receiver; queue the entries after ``after_seq`` (default: none, from the head on)."""
    url = check_url(body.get("url"))
    secret = check_secret(body.get("secret"))
    description = _description(body.get("description"))
    async with conn.transaction():
        await q.lock_feed(conn)
        after_seq = _after_seq(body.get("after_seq"), await q.feed_head(conn))
        new_id = await q.insert_subscription(conn, url, secret, description, after_seq, actor.id)
        queued = await q.enqueue_backlog(conn, new_id, after_seq)
        if queued:
            await q.notify_backlog(conn)
        out = await _one(conn, new_id)
        await _audit(conn, actor, "subscribe", out, after_seq=after_seq, queued=queued)
    return out


async def listing(conn: asyncpg.Connection, active: bool | None = None) -> list[dict]:
    """Return the subscriptions, oldest first (optionally only active or inactive ones)."""
    return [_out(r) for r in await q.subscriptions(conn, active)]


async def read(conn: asyncpg.Connection, subscription_id: int) -> dict:
    """Return one subscription."""
    return await _one(conn, subscription_id)


async def deactivate(conn: asyncpg.Connection, subscription_id: int, actor) -> dict:
    """Deactivate a subscription: nothing more is queued for it and its pending deliveries stop."""
    async with conn.transaction():
        before = await _one(conn, subscription_id)
        if before["active"]:
            await q.deactivate(conn, subscription_id)
        out = await _one(conn, subscription_id)
        if before["active"]:
            await _audit(conn, actor, "deactivate", out, stopped=before["pending"])
    return out


async def delivery_log(
    conn: asyncpg.Connection, subscription_id: int, state: str | None = None, limit: int = 100
) -> dict:
    """Return a subscription's deliveries (newest seq first), each with its attempts."""
    if state in ("", None):
        state = None
    elif state not in STATES:
        raise InvalidInput("state", f"state must be one of {', '.join(STATES)}, got {state!r}")
    await _one(conn, subscription_id)
    rows = await q.deliveries(conn, subscription_id, state, limit)
    log: dict[int, list[dict]] = {r["id"]: [] for r in rows}
    for attempt in await q.attempts(conn, list(log)):
        entry = dict(attempt)
        log[entry.pop("delivery_id")].append(entry)
    deliveries = [{**dict(r), "attempt_log": log[r["id"]]} for r in rows]
    return {"subscription_id": subscription_id, "count": len(deliveries), "deliveries": deliveries}
